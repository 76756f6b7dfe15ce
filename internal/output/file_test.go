package output

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

func TestFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		finish func(*File) error
		want   []string // the folder's entries afterwards
	}{
		{"commit", (*File).Commit, []string{"out.csv"}},
		{"abandon keeping partial", func(f *File) error { return f.Abandon(true) }, []string{"out.csv.partial"}},
		{"abandon", func(f *File) error { return f.Abandon(false) }, nil},
		{"abandon after commit is a no-op", func(f *File) error {
			if err := f.Commit(); err != nil {
				return err
			}
			return f.Abandon(false)
		}, []string{"out.csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "out.csv")
			f, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("a,b\n")); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("%s exists before Commit (err %v)", path, err)
			}
			if err := tc.finish(f); err != nil {
				t.Fatal(err)
			}
			got := names(t, dir)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("folder holds %q, want %q", got, tc.want)
			}
			for _, n := range got {
				b, err := os.ReadFile(filepath.Join(dir, n))
				if err != nil || string(b) != "a,b\n" {
					t.Errorf("%s = %q, %v", n, b, err)
				}
				if fi, _ := os.Stat(filepath.Join(dir, n)); fi.Mode().Perm() != 0o644 {
					t.Errorf("%s mode %v, want 0644", n, fi.Mode().Perm())
				}
			}
		})
	}
}

func TestCreateMissingFolder(t *testing.T) {
	t.Parallel()
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "out.csv")); err == nil {
		t.Fatal("Create in a missing folder succeeded")
	}
}

// A device or a named pipe is written directly: renaming a temporary file
// over /dev/null would replace the device.
func TestCreateWritesNonRegularFilesDirectly(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo) // blocks until the writer opens the pipe
		got <- b
	}()
	f, err := Create(fifo)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("row\n"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "row\n" {
		t.Errorf("the pipe's reader got %q", b)
	}
	if st, err := os.Stat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a named pipe", fifo)
	}
}
