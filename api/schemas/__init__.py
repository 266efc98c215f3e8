"""Request and response models: XCreate / XUpdate for input, XPublic for output."""
