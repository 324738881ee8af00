//! The decision engine: the pipeline of DESIGN.md §3 over a store trait and an injected clock.
