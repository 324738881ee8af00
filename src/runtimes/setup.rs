//! Installing aiperture's hook entries into each runtime's settings file.
