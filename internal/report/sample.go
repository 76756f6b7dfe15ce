package report

import "math"

// Count adds an answer to the share.
func (sm *Sample) Count(available bool) {
	sm.Answered++
	if !available {
		sm.Taken++
	}
}

// Estimate sets the share, its interval and what they make of a full run
// of distinct ids, calls of which validate would make at rate; journalled:
// the sample's answers went to --state, so validate does not repeat them.
func (sm *Sample) Estimate(distinct, calls int64, rate float64, journalled bool) {
	if sm.Answered > 0 {
		sm.TakenShare = float64(sm.Taken) / float64(sm.Answered)
	}
	sm.TakenShareLow, sm.TakenShareHigh = wilson(sm.Taken, sm.Answered)
	d := float64(distinct)
	sm.ExpectedTaken, sm.ExpectedTakenLow, sm.ExpectedTakenHigh = sm.TakenShare*d, sm.TakenShareLow*d, sm.TakenShareHigh*d
	sm.FullRunCalls = calls
	if journalled {
		sm.FullRunCalls -= sm.Asked - sm.Errors
	}
	if rate > 0 {
		secs := float64(sm.FullRunCalls) / rate
		sm.FullRunSeconds = &secs
	}
}

// Sample is what plan --sample found: a uniform sample of the distinct ids
// asked, the share of taken ids with its interval, and what they make of a
// full run. Its JSON is part of plan's --summary.
type Sample struct {
	Size              int64    `json:"size"`            // distinct ids in the sample
	Seed              uint64   `json:"seed"`            // --seed that repeats the choice
	Asked             int64    `json:"asked"`           // asked now (the others had a fresh journalled answer)
	Journalled        int64    `json:"journalled"`      // answered from the --state journal, no call
	Errors            int64    `json:"errors"`          // got no answer: left out of the share
	Answered          int64    `json:"answered"`        // the share's denominator
	Taken             int64    `json:"taken"`           // answered taken
	TakenShare        float64  `json:"taken_share"`     // taken / answered
	TakenShareLow     float64  `json:"taken_share_low"` // Wilson 95% interval
	TakenShareHigh    float64  `json:"taken_share_high"`
	ExpectedTaken     float64  `json:"expected_taken"` // taken_share x distinct ids: a full run's taken rows
	ExpectedTakenLow  float64  `json:"expected_taken_low"`
	ExpectedTakenHigh float64  `json:"expected_taken_high"`
	APICalls          int64    `json:"api_calls"`      // HTTP requests the sample took, retries included
	FullRunCalls      int64    `json:"full_run_calls"` // calls validate still needs (less the sample's, when journalled)
	FullRunSeconds    *float64 `json:"full_run_seconds,omitempty"`
}

// wilson is the Wilson score interval, at 95%, of a share of k in n: unlike
// p ± z·sqrt(p(1-p)/n) it stays within [0, 1] and is not empty at k = 0.
func wilson(k, n int64) (low, high float64) {
	if n <= 0 {
		return 0, 1
	}
	const z = 1.959963984540054 // the normal distribution's 97.5% quantile
	p, nf := float64(k)/float64(n), float64(n)
	d := 1 + z*z/nf
	center := (p + z*z/(2*nf)) / d
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return max(0, center-half), min(1, center+half)
}
