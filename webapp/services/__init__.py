"""Domain operations. Services change state and flush; the caller commits once."""
