"""Province-scale benchmarks; `python -m bench --help`."""
