"""The HTML report: its page and charts rendered from the report queries' rows, written to one file."""
