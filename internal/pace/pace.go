// Package pace decides when the next request to Azotte may start. One pacer
// is shared by every worker, so the configured rate is a ceiling for the whole
// run, not per worker.
//
// Adaptive is the run's pacer: a token bucket at the configured rate that
// slows down when Azotte throttles (429, 503, Retry-After) and follows the
// budget its X-RateLimit headers announce (parsed by package azotte into
// azotte.Budget). Without those headers a 429 is the only sign of the
// limit, and each costs a Retry-After pause, so a 429 also teaches a
// ceiling just under the rate that drew it: the rate recovers quickly up to
// that ceiling and probes above it only slowly, and a run meets the limit
// a few times an hour instead of every cycle. Its decisions are a pure
// function (decide.go), tested without sleeping.
package pace
