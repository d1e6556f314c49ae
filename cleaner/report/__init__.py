"""Rendering what the jobs found: one module per command (`clean`, `dups`, `check`, `index`), and
the files beside the reports (edit log, clusters file, rejects file). Nothing here decides."""

from cleaner.report.dups import cluster_table, print_table, report_dict, summary_line, to_json, to_jsonl

__all__ = ["cluster_table", "print_table", "report_dict", "summary_line", "to_json", "to_jsonl"]
