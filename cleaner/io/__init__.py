"""Reading article dumps into `Document`s and writing them back in their own format."""

from cleaner.io.readers import InputFile, ReadOptions, iter_input_files, read_documents, read_file, strict
from cleaner.io.writers import check_output, open_writer, output_path

__all__ = [
    "InputFile",
    "ReadOptions",
    "check_output",
    "iter_input_files",
    "open_writer",
    "output_path",
    "read_documents",
    "read_file",
    "strict",
]
