// Package suggest finds what a user most likely meant by a mistyped word: a
// flag, a command, a config file's setting.
package suggest

import "strings"

// Closest is the candidate the user most likely meant by typed: the only
// candidate typed is a prefix of, else the nearest by edit distance if near
// enough to be a typo; "" if none.
func Closest(typed string, candidates []string) string {
	best, bestDist := "", len(typed)/3+1 // a typo a third of the word long at most
	if len(typed) < 3 {
		bestDist = 0 // -x is no typo of -o
	}
	var prefixed []string
	for _, c := range candidates {
		if d := editDistance(typed, c); d <= bestDist && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
		if len(typed) >= 2 && strings.HasPrefix(c, typed) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		best = prefixed[0]
	}
	if best == typed {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, counting a swap of two
// neighbouring letters as one edit (the commonest typo).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	// d[i][j] is the distance of x[:i] and y[:j].
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
