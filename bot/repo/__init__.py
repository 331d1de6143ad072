"""The policy repository: git objects and refs, read and written without a checkout."""
