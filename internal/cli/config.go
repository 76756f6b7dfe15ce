package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/azotte/azvalidate/internal/profile"
)

// A config file holds named profiles of validate's and plan's settings, so
// that a scheduled job's command line is a profile's name, not a dozen
// flags.

// envVars are the environment variables that stand for a flag not given.
// AZOTTE_API_KEY is the key itself, which --api-key-file would name: it
// beats a profile's api-key-file, and conn.resolve reads it.
var envVars = map[string]string{
	"base-url":     "AZOTTE_BASE_URL",
	"tenant":       "AZOTTE_TENANT",
	"api-key-file": "AZOTTE_API_KEY",
	"memory-limit": "AZVALIDATE_MEMORY_LIMIT",
}

// addConfigFlags registers --config and --profile on fs.
func addConfigFlags(fs *flagSet) {
	fs.StringVar(new(string), "config", "", "config `FILE` of profiles (default: $AZVALIDATE_CONFIG, else $XDG_CONFIG_HOME/azvalidate/config.yaml)")
	fs.StringVar(new(string), "profile", "", "the config file's profile `NAME` to take settings from (default: $AZVALIDATE_PROFILE, else the file's default:)")
}

// layer fills in fs's flags not given on the command line from the
// environment (envVars), then from the profile (see package profile).
func layer(fs *flagSet, env Env) (profile.Applied, error) {
	return profile.Apply(fs.FlagSet, profile.Config{
		Getenv: env.getenv, EnvVars: envVars, Secret: "AZOTTE_API_KEY", Known: settingNames(),
		Explain: func(err error) string { return strings.TrimPrefix(explain(fs.FlagSet, err), "--") },
	})
}

// settingNames are the settings a profile may hold: validate's and plan's
// flags, but not those that choose the profile.
func settingNames() []string {
	var names []string
	for _, cmd := range []string{"validate", "plan"} {
		c, _, _ := newRoot(Env{}).Find([]string{cmd})
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "config" && f.Name != "profile" && f.Name != "help" && !slices.Contains(names, f.Name) {
				names = append(names, f.Name)
			}
		})
	}
	return names
}

const configSynopsis = `
Shows the settings a run would use and where each comes from. A config file
holds named profiles of validate's and plan's settings, each by its flag's
long name; it is --config FILE, else $AZVALIDATE_CONFIG, else
$XDG_CONFIG_HOME/azvalidate/config.yaml (~/.config/... when unset).
--profile NAME, else $AZVALIDATE_PROFILE, else the file's default: chooses
the profile. A flag beats the environment (AZOTTE_BASE_URL, AZOTTE_TENANT,
AZOTTE_API_KEY, AZVALIDATE_MEMORY_LIMIT), which beats the profile, which
beats the defaults. Paths in a profile are relative to the file's folder. A
profile never holds the API key: name a file holding it with api-key-file.

  show      the settings not at their default, each with its source
            (flag, env, profile); --all lists every one; the key redacted
  path      the config file a run would read, and how it was found
  profiles  the file's profiles, the default marked`

const configExamples = `  # what the nightly job runs with, and why
  azvalidate config show --profile acme-nightly

  # the same with a flag that would win over the profile
  azvalidate config show --profile acme-nightly --rate 2

  # the file itself:
  #   default: acme-nightly
  #   profiles:
  #     acme-nightly:
  #       base-url: https://acme.azotte.com
  #       tenant: e2a1c7b2-4f3a-4b8e-9c2d-1a2b3c4d5e6f
  #       api-key-file: acme.key     # relative to the file; never the key itself
  #       rate: 5
  #       state: /data/acme.state
  #       deadline: 6h
`

// addConfig adds the config command and its subcommands to root.
func addConfig(root *cobra.Command, env Env) {
	cmd := &cobra.Command{
		Use:     "config show|path|profiles [flags]",
		Short:   "show the settings a run would use, from flags, environment and profiles",
		Long:    configSynopsis,
		Example: configExamples,
	}
	subcommands(root, cmd, "a subcommand: show, path or profiles")

	show := &cobra.Command{Use: "show [flags]", Short: "the settings of a validate run and where each came from",
		Long: "Lists the settings a validate run with these flags would use, each with its source: flag, env,\nprofile (or default, with --all). The API key is never shown.", Args: noFiles}
	cmd.AddCommand(show)
	fs := flagsOf(show)
	var all bool
	addValidateFlags(fs, &validateConfig{})
	fs.BoolVar(&all, "all", false, "also list the settings at their defaults")
	show.RunE = func(cmd *cobra.Command, _ []string) error { return configShow(fs, env, all, cmd.OutOrStdout()) }

	path := &cobra.Command{Use: "path [flags]", Short: "the config file a run would read", Args: cobra.NoArgs,
		Long: "Prints the config file a run would read (--config, $AZVALIDATE_CONFIG, else the default place,\nwhich need not exist) and how it was found."}
	cmd.AddCommand(path)
	pathFlags := flagsOf(path)
	addConfigFlags(pathFlags)
	path.RunE = func(cmd *cobra.Command, _ []string) error {
		cf, err := profile.Find(pathFlags.FlagSet, env.getenv)
		switch {
		case err != nil:
			return err
		case cf == nil && profile.DefaultPath(env.getenv) == "":
			return usageError("no config file: neither $AZVALIDATE_CONFIG, $XDG_CONFIG_HOME nor $HOME is set")
		case cf == nil:
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\t(default place; no such file)\n", profile.DefaultPath(env.getenv))
			return err
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\t(%s)\n", cf.Path, cf.How)
		return err
	}

	profiles := &cobra.Command{Use: "profiles [flags]", Short: "the config file's profiles", Args: cobra.NoArgs,
		Long: "Prints the names of the config file's profiles, one a line, the default marked."}
	cmd.AddCommand(profiles)
	profFlags := flagsOf(profiles)
	addConfigFlags(profFlags)
	profiles.RunE = func(cmd *cobra.Command, _ []string) error {
		cf, err := profile.Find(profFlags.FlagSet, env.getenv)
		if err != nil || cf == nil {
			return err
		}
		for _, name := range cf.Names {
			if name == cf.Default {
				name += "\t(default)"
			}
			fmt.Fprintln(cmd.OutOrStdout(), name)
		}
		return nil
	}
	for _, c := range []*cobra.Command{show, path, profiles} {
		completeValues(c, env)
	}
}

// noFiles refuses the FILEs of a validate command line pasted after config
// show, which cobra would call an unknown command.
func noFiles(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("%s takes no FILE (%s): it lists the settings of a run with these flags, whatever its input", cmd.CommandPath(), args[0])
	}
	return nil
}

// configShow writes the settings of a validate run with fs's flags, each
// with its source; the key never.
func configShow(fs *flagSet, env Env, all bool, w io.Writer) error {
	p, err := layer(fs, env)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	file, prof := "none", "none"
	if p.File != "" {
		file, prof = p.File, p.Name
	}
	fmt.Fprintf(tw, "config file\t%s\n", file)
	fmt.Fprintf(tw, "profile\t%s\n\n", prof)
	fmt.Fprintf(tw, "setting\tvalue\tsource\n")
	defaults := 0
	fs.VisitAll(func(f *pflag.Flag) {
		src := p.Src[f.Name]
		switch {
		case f.Name == "help" || f.Name == "all" || f.Name == "config" || f.Name == "profile":
			return
		case f.Name == "api-key-file" && src == profile.Env:
			fmt.Fprintf(tw, "api-key\t[redacted]\tenv AZOTTE_API_KEY\n")
			return
		case src == profile.Default && !all:
			defaults++
			return
		}
		where := src.String()
		if src == profile.Env {
			where += " " + envVars[f.Name]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, f.Value.String(), where)
	})
	if defaults > 0 {
		fmt.Fprintf(tw, "\n%d more settings at their defaults (config show --all lists them)\n", defaults)
	}
	return tw.Flush()
}
