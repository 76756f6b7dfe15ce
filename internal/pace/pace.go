// Package pace decides when the next request to Azotte may start. One pacer
// is shared by every worker, so the configured rate is a ceiling for the whole
// run, not per worker.
//
// Adaptive is the run's pacer: a token bucket at the configured rate that
// slows down when Azotte throttles (429, 503, Retry-After) and follows the
// budget its X-RateLimit headers announce. Its decisions are a pure function
// (decide.go), tested without sleeping.
package pace
