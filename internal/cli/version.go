package cli

import (
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/azotte/azvalidate/internal/report"
)

// version is the module version from the build info ("(devel)" for a local
// build), plus the VCS revision when the binary was built from a checkout.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

const versionHelp = `
Prints azvalidate's version (and the commit it was built from) and the Go
version it was built with. 'azvalidate -V' and 'azvalidate --version' do the
same.`

// addVersion adds the version command to root.
func addVersion(root *cobra.Command) {
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "print the version",
		Long:  versionHelp,
		Args:  cobra.ArbitraryArgs, // refused by runVersion, with the usage error's hint
		RunE:  func(cmd *cobra.Command, args []string) error { return runVersion(args, cmd.OutOrStdout()) },
	})
}

// header opens the JSON summary of command, started at start: what ran.
func header(command string, start, end time.Time) report.Header {
	return report.Header{SchemaVersion: report.SchemaVersion, Tool: "azvalidate", Version: version(), Command: command, Start: start, End: end}
}

func runVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return withHelpHint(fmt.Errorf("version takes no arguments, got %q", args), "version")
	}
	bi, _ := debug.ReadBuildInfo()
	goVersion := "unknown"
	if bi != nil {
		goVersion = bi.GoVersion
	}
	fmt.Fprintf(stdout, "azvalidate %s %s\n", version(), goVersion)
	return nil
}
