package core

// Median exposes median to the external tests.
var Median = median
