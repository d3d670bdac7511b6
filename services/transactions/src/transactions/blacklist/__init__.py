"""The blacklist: defaulting winners barred from registering, listed automatically, lifted by an administrator."""
