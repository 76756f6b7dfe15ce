//go:build race

package output

// raceDetector is whether the tests run with -race, which makes the
// 1,100,000-row workbook test take minutes: it runs without (see .ci/run).
const raceDetector = true
