package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/profile"
	"github.com/azotte/azvalidate/internal/sandbox"
	"github.com/azotte/azvalidate/internal/verdict"
)

// Shell completion is cobra's: the scripts ask the binary itself
// (azvalidate __complete ...), so the commands, flags and values they offer
// are always the binary's own.

var shells = []string{"bash", "zsh", "fish", "powershell"}

const completionSynopsis = `
Prints a script that completes azvalidate's commands, flags and their values
(formats, verdicts, profile names, files) in that shell.`

const completionExamples = `  source <(azvalidate completion bash)
  azvalidate completion zsh > "${fpath[1]}/_azvalidate"
  azvalidate completion fish > ~/.config/fish/completions/azvalidate.fish
  azvalidate completion powershell | Out-String | Invoke-Expression
`

// addCompletion adds the completion command to root.
func addCompletion(root *cobra.Command) {
	cmd := &cobra.Command{
		Use:       "completion bash|zsh|fish|powershell",
		Short:     "print a shell completion script",
		Long:      completionSynopsis,
		Example:   completionExamples,
		Args:      cobra.ArbitraryArgs, // checked below, with the usage error's hint
		ValidArgs: shells,
	}
	root.AddCommand(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return withHelpHint(fmt.Errorf("completion takes one shell: azvalidate completion %s", strings.Join(shells, "|")), "completion")
		}
		out := cmd.OutOrStdout()
		switch args[0] {
		case "bash":
			return root.GenBashCompletionV2(out, true)
		case "zsh":
			return root.GenZshCompletion(out)
		case "fish":
			return root.GenFishCompletion(out, true)
		case "powershell":
			return root.GenPowerShellCompletionWithDesc(out)
		}
		return withHelpHint(fmt.Errorf("completion: unknown shell %q (want bash, zsh, fish or powershell)", args[0]), "completion")
	}
}

// valueChoices are the values of flags that take one of a few words (or,
// for only and faults, a comma list of them), from the tables that parse
// them.
var valueChoices = map[string][]string{
	"format":        names(input.Readable),
	"output-format": names(input.Writable),
	"log-format":    {"text", "json"},
	"only":          names(verdict.All),
	"faults":        append(sandbox.FaultNames(), "all"),
}

var commaLists = []string{"only", "faults"}

// names are the values' names.
func names[T fmt.Stringer](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = v.String()
	}
	return out
}

// completeValues registers how to complete the values of cmd's flags: the
// words of valueChoices, the config file's profiles, files and folders.
func completeValues(cmd *cobra.Command, env Env) {
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		words := valueChoices[f.Name]
		switch name, _ := pflag.UnquoteUsage(f); {
		case words != nil:
			cmd.RegisterFlagCompletionFunc(f.Name, func(_ *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return completeWords(words, typed, slices.Contains(commaLists, f.Name))
			})
		case f.Name == "profile":
			cmd.RegisterFlagCompletionFunc(f.Name, func(c *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
				cf, err := profile.Find(c.Flags(), env.getenv)
				if err != nil || cf == nil {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return completeWords(cf.Names, typed, false)
			})
		case name == "DIR":
			cmd.MarkFlagDirname(f.Name)
		case name == "FILE":
			cmd.MarkFlagFilename(f.Name)
		}
	})
}

// completeWords are the words that complete typed; in a comma list, the
// words not yet listed, after those that are.
func completeWords(words []string, typed string, list bool) ([]cobra.Completion, cobra.ShellCompDirective) {
	prefix, last := "", typed
	if i := strings.LastIndex(typed, ","); list && i >= 0 {
		prefix, last = typed[:i+1], typed[i+1:]
	}
	var out []cobra.Completion
	for _, w := range words {
		if strings.HasPrefix(w, last) && !slices.Contains(strings.Split(prefix, ","), w) {
			out = append(out, prefix+w)
		}
	}
	if list {
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
