"""Command-line sub-commands: each module registers its parsers with `add_parser(subparsers)`."""
