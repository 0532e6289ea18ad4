// Package analytics holds Cubed's pure algorithms (spec/domain.md §8–§10):
// channel classification, segmenter expressions and conditions,
// sessionization of page views, and the attribution models including the
// data-driven Markov model.
//
// Everything here is a function of its inputs: no I/O, no database, no
// package-level mutable state, and no imports from the rest of the module,
// so every rule is unit-tested alone and re-running a computation on the
// same input gives bit-identical results.
package analytics
