package near

import (
	"hash/maphash"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// keys holds the hashes of one id's forms.
type keys struct {
	full   uint64          // hash of the full normal form: the group's key
	raw    uint64          // hash of the id itself
	single [nSingle]uint64 // hash of each single normalisation of the id
	mask   uint8           // bit k: normalisation k changes the id
}

// flagMask is the low byte of a slot's raw hash, which holds two masks of
// maskBits each (see entry).
const (
	flagMask = 0xFF
	maskBits = 1<<nSingle - 1
)

// keys computes id's hashes into k. Most ids are ASCII, where zero-width
// characters and NFKC change nothing and case folding is lowering A-Z; that
// path allocates nothing.
func (d *Detector) keys(id string, k *keys) {
	if !isASCII(id) {
		d.unicodeKeys(id, k)
		return
	}
	raw := maphash.String(d.seed, id)
	k.single = [nSingle]uint64{raw, raw, raw, raw}
	k.full, k.raw = raw, raw
	upper, spaced := false, false
	prevSpace := true // leading white space is trimmed
	for i := 0; i < len(id); i++ {
		c := id[i]
		upper = upper || 'A' <= c && c <= 'Z'
		sp := c == ' ' || '\t' <= c && c <= '\r' // unicode.IsSpace, for ASCII
		spaced = spaced || sp && (prevSpace || c != ' ')
		prevSpace = sp
	}
	spaced = spaced || prevSpace && id != ""
	if !upper && !spaced {
		return
	}
	b := d.buf[:0]
	if spaced {
		b = appendCollapsed(b, id)
		k.single[kSpace] = maphash.Bytes(d.seed, b)
		k.mask |= 1 << kSpace
		k.full = k.single[kSpace]
	}
	if upper {
		if spaced {
			lowerASCII(b) // the full form: collapsed, then lowered
			k.full = maphash.Bytes(d.seed, b)
		}
		b = append(b[:0], id...)
		lowerASCII(b)
		k.single[kCase] = maphash.Bytes(d.seed, b)
		k.mask |= 1 << kCase
		if !spaced {
			k.full = k.single[kCase]
		}
	}
	d.buf = b
}

// unicodeKeys is keys for an id with non-ASCII bytes.
func (d *Detector) unicodeKeys(id string, k *keys) {
	single := [nSingle]string{
		kZeroWidth: removeZeroWidth(id),
		kSpace:     collapse(id),
		kCase:      d.fold.String(id),
		kUnicode:   norm.NFKC.String(id),
	}
	for s, v := range single {
		k.single[s] = maphash.String(d.seed, v)
		if v != id {
			k.mask |= 1 << s
		}
	}
	k.raw = maphash.String(d.seed, id)
	k.full = maphash.String(d.seed, d.full(id))
}

// full is id's full normal form. The order matters where normalisations
// interact: zero-width characters go first (a ZWJ blocks NFKC composition),
// NFKC comes before case folding (which may need composed or decomposed
// letters) and after it (folding can leave a string not in NFKC), and white
// space is collapsed last (NFKC turns U+3000 and U+00A0 into spaces). This
// form equals the full form of each single normalisation of id, so any two
// ids that one normalisation makes equal are in one group; Unicode has rare
// characters (e.g. U+0345) where that does not hold and such a pair is missed.
func (d *Detector) full(id string) string {
	s := removeZeroWidth(id)
	s = norm.NFKC.String(s)
	s = d.fold.String(s)
	s = norm.NFKC.String(s)
	return collapse(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(b []byte) {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}

// zeroWidth reports the characters that the zero-width kind removes: zero
// width space, non-joiner and joiner, word joiner, and the BOM (zero width
// no-break space).
func zeroWidth(r rune) bool {
	return r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u2060' || r == '\uFEFF'
}

func removeZeroWidth(s string) string {
	if strings.IndexFunc(s, zeroWidth) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if zeroWidth(r) {
			return -1
		}
		return r
	}, s)
}

// collapsed reports whether s is already trimmed, with its inner white space
// only single ASCII spaces: what collapse leaves unchanged.
func collapsed(s string) bool {
	prevSpace := true // a leading space is not collapsed
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if sp && (prevSpace || r != ' ') {
			return false
		}
		prevSpace = sp
	}
	return !prevSpace || s == ""
}

// collapse trims white space (unicode.IsSpace) around s and replaces each run
// of it inside by one ASCII space.
func collapse(s string) string {
	if collapsed(s) {
		return s
	}
	return string(appendCollapsed(nil, s))
}

func appendCollapsed(dst []byte, s string) []byte {
	pending := false
	start := len(dst)
	for _, r := range s {
		if unicode.IsSpace(r) {
			pending = len(dst) > start
			continue
		}
		if pending {
			dst = append(dst, ' ')
			pending = false
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}
