//! Shell front end: parses a command string into its simple commands (pure, no I/O).
