//! Vigie city pack: loads and validates a city from a folder.
