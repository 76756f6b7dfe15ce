package cli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/azotte/azvalidate/internal/spill"
)

// memory is --memory-limit and --temp-dir: what a run may hold in memory,
// and where its per-id tables spill the rest.
type memory struct {
	limit   int64
	tempDir string
}

const (
	defaultMemoryLimit = 512 << 20
	// baseMemory is what a run holds whatever its input: the runtime, the
	// reorder window, buffers, connections (measured: 20 to 30 MB).
	baseMemory = 24 << 20
	// minShare is the least a table may hold in memory: spilling less at a
	// time writes the store in batches too small to be quick.
	minShare = 1 << 20
)

// addMemoryFlags registers --memory-limit (default 512MiB; when not given,
// $AZVALIDATE_MEMORY_LIMIT fills it in: see envVars) and --temp-dir on fs.
func addMemoryFlags(fs *flagSet, m *memory) {
	m.limit = defaultMemoryLimit
	fs.Var(sizeValue{&m.limit}, "memory-limit", "the most memory the run holds (env AZVALIDATE_MEMORY_LIMIT): past it, the distinct ids, the journal's index and the near and unique forecasts spill to a temporary folder")
	fs.StringVar(&m.tempDir, "temp-dir", "", "`DIR` for that temporary folder (default: the output's folder; the system's temporary folder when the output is stdout)")
}

// smallest is the least limit that works for a run with tables tables.
func smallest(tables int) int64 {
	return baseMemory + spillMemory(0) + int64(tables)*minShare
}

// spillMemory is what the store holds of limit: a block cache of a
// sixteenth, at least 4 MiB and at most 64 MiB.
func spillMemory(limit int64) int64 { return min(max(limit/16, 4<<20), 64<<20) }

// check refuses a limit too small for a run with tables tables, naming
// the smallest that works, and a --temp-dir that is not a folder.
func (m memory) check(tables int) error {
	if low := smallest(tables); m.limit < low {
		return usageError("--memory-limit %s is too small for this run: the smallest that works is %s", formatSize(m.limit), formatSize(roundUp(low, 1<<20)))
	}
	if m.tempDir != "" {
		if fi, err := os.Stat(m.tempDir); err != nil || !fi.IsDir() {
			return usageError("--temp-dir %s is not a folder", m.tempDir)
		}
	}
	return nil
}

// start sets the Go runtime's memory limit, removes the folders killed
// runs left, and returns the store of the run's tables (made beside out, a
// path or "" for stdout, unless --temp-dir says where) and each table's
// share for tables tables; share > 0 (tests) overrides the share. stop
// closes the store, which removes its folder, and restores the runtime's
// limit.
func (m memory) start(out string, tables int, share int) (mem spill.Memory, stop func() error) {
	parent := m.tempDir
	if parent == "" {
		parent = os.TempDir()
		if out != "" && out != "-" {
			parent = filepath.Dir(out)
		}
	}
	spill.RemoveStale(parent)
	cache := spillMemory(m.limit)
	store := spill.NewStore(spill.Config{Parent: parent, Cache: cache})
	if share <= 0 {
		// Half of what is left: the collector needs room to work, and a
		// table's memory is counted at its peak, while it grows.
		share = max(int((m.limit-baseMemory-cache)/2/int64(max(tables, 1))), minShare)
	}
	// The collector works harder as the heap nears the limit, less the
	// store's cache (which the runtime does not count) and a tenth for
	// what the process holds beyond the runtime's count (freed pages not
	// yet returned, the binary itself): measured, a 10^8-id plan peaked
	// 12% above the limit without it.
	old := debug.SetMemoryLimit((m.limit - cache) * 9 / 10)
	return spill.Memory{Store: store, Share: share}, func() error {
		debug.SetMemoryLimit(old)
		return store.Close()
	}
}

// shares is n shares of m.
func shares(m spill.Memory, n int) spill.Memory {
	m.Share *= n
	return m
}

// sizeValue is a size flag: bytes with a unit.
type sizeValue struct{ p *int64 }

func (s sizeValue) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*s.p = n
	return nil
}

func (s sizeValue) String() string {
	if s.p == nil {
		return ""
	}
	return formatSize(*s.p)
}

func (sizeValue) Type() string { return "size" }

var sizeUnits = []struct {
	suffix string
	n      int64
}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1}}

// parseSize reads a size such as 512MiB, 1.5GiB, 800MB or 2g (binary units
// for a bare letter, as Docker and Kubernetes read them).
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, u := range sizeUnits {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || f <= 0 || math.IsInf(f, 0) || f*float64(u.n) > math.MaxInt64/2 {
				break
			}
			return int64(f * float64(u.n)), nil
		}
	}
	return 0, fmt.Errorf("%q is not a size such as 512MiB, 2GiB or 800MB", s)
}

// formatSize is n as a user types it: 512MiB, 1GiB, else bytes.
func formatSize(n int64) string {
	for _, u := range []struct {
		s string
		n int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.n && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

func roundUp(n, unit int64) int64 { return (n + unit - 1) / unit * unit }
