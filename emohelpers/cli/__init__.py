"""The command line: `emohelpers COMMAND ...`; the top layer."""
