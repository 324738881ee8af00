//! Settings: environment (`AIPERTURE_*`) over the user config file over defaults.
