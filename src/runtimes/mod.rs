//! Runtime adapters: one per agent runtime. Each parses that runtime's hook payload into a
//! [`crate::request::Request`] and renders a [`crate::request::Verdict`] in its exact shape.
