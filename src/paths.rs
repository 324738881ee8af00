//! Where aiperture keeps its files: `AIPERTURE_HOME` (config, key) and `AIPERTURE_DB_PATH`.
