def main() -> int:  # replaced by the real command line
    return 0
