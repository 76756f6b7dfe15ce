package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// The reference in docs/ is generated from the command definitions, and a
// test keeps it equal to them:
//
//go:generate go run ../.. docs markdown ../../docs/reference
//go:generate go run ../.. docs man ../../docs/man

// docsDate is the date the man pages carry: fixed, so that generating them
// again changes nothing unless the commands do.
var docsDate = time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)

// addDocs adds the docs command and its subcommands to root.
func addDocs(root *cobra.Command) {
	cmd := &cobra.Command{
		Use:   "docs man|markdown DIR",
		Short: "write the man pages or the Markdown reference",
		Long: `
Writes a page per command into DIR, made from the commands' own definitions
(what -h shows): man pages of section 1 (azvalidate.1, azvalidate-validate.1, ...)
or Markdown (azvalidate.md, azvalidate_validate.md, ...). DIR is created if need be.`,
		Example: `  azvalidate docs man /usr/local/share/man/man1
  man -l docs/man/azvalidate-validate.1
`,
	}
	subcommands(root, cmd, "a subcommand and a DIR: docs man|markdown DIR")
	for _, g := range []struct {
		name, short string
		gen         func(dir string) error
	}{
		{"man", "write a man page per command into DIR", func(dir string) error {
			return doc.GenManTree(root, &doc.GenManHeader{Section: "1", Source: "azvalidate", Manual: "azvalidate manual", Date: &docsDate}, dir)
		}},
		{"markdown", "write a Markdown page per command into DIR", func(dir string) error {
			return doc.GenMarkdownTree(root, dir)
		}},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:   g.name + " DIR",
			Short: g.short,
			Long:  "Writes " + g.short[len("write "):] + ", made from the commands' own definitions.",
			Args:  cobra.ArbitraryArgs, // checked below, with the usage error's hint
			RunE: func(_ *cobra.Command, args []string) error {
				if len(args) != 1 {
					return withHelpHint(fmt.Errorf("docs %s takes one folder, got %q", g.name, args), "docs "+g.name)
				}
				if err := os.MkdirAll(args[0], 0o777); err != nil {
					return err
				}
				return g.gen(args[0])
			},
		})
	}
}
