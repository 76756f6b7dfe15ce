package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/azotte/azvalidate/internal/journal"
)

const stateSynopsis = `
Looks after a --state journal:
  info     its endpoint (base URL, path, tenant), ids, lines, size, and its
           answers by age and by verdict
  compact  rewrites it as its binding line plus one line per id (the latest
           answer), atomically; fails while a validate uses the file
  export   writes its answers to stdout as CSV: id,isAvailable,messageCode,answeredAt

info and export only read the file: they run beside a validate using it.

Exit codes: 0 done; 2 usage error, missing file, not a journal, or in use.`

const stateExamples = `  # whose answers, how old?
  azvalidate state info crm.state

  # a nightly job's journal grows by a line per id and night: shrink it
  azvalidate state compact crm.state

  # the ids Azotte last reported as taken
  azvalidate state export crm.state | grep ',false,'
`

// addState adds the state command and its subcommands to root.
func addState(root *cobra.Command) {
	const takes = "a subcommand and a FILE: state info|compact|export FILE"
	cmd := &cobra.Command{Use: "state info|compact|export FILE", Short: "inspect, compact or export a --state journal", Long: stateSynopsis, Example: stateExamples}
	subcommands(root, cmd, takes)
	for name, f := range map[string]func(string, io.Writer) error{"info": stateInfo, "compact": stateCompact, "export": stateExport} {
		cmd.AddCommand(&cobra.Command{Use: name + " FILE", Short: "state " + name + " FILE (see azvalidate state -h)", Long: stateSynopsis,
			Args: cobra.ArbitraryArgs, // checked below, with the usage error's hint
			RunE: func(c *cobra.Command, args []string) error {
				if len(args) != 1 {
					return withHelpHint(fmt.Errorf("state takes %s", takes), "state")
				}
				return f(args[0], c.OutOrStdout())
			}})
	}
}

// readState reads the journal at path without locking or changing it.
func readState(path string) (*journal.Journal, error) {
	j, err := journal.Read(path, 0, time.Now())
	if err != nil {
		return nil, err
	}
	return j, nil
}

// ageBuckets are the ages info counts answers by; older is the rest.
var ageBuckets = []struct {
	name string
	max  time.Duration
}{{"<1h", time.Hour}, {"<24h", 24 * time.Hour}, {"<7d", 7 * 24 * time.Hour}}

func stateInfo(path string, stdout io.Writer) error {
	j, err := readState(path)
	if err != nil {
		return err
	}
	defer j.Close()
	now := time.Now()
	ages := make([]int, len(ageBuckets)+1)
	var available, taken, other int
	err = j.Each(func(_ string, e journal.Entry) bool {
		age := now.Sub(e.Time)
		i := 0
		for i < len(ageBuckets) && age >= ageBuckets[i].max {
			i++
		}
		ages[i]++
		switch {
		case e.MessageCode != "" && e.MessageCode != "SUCCESS":
			other++
		case e.IsAvailable:
			available++
		default:
			taken++
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("state info: %w", err)
	}

	st := j.Stats()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s\n", path)
	if ep := j.Endpoint(); ep.IsZero() {
		fmt.Fprintf(tw, "endpoint\tnone\twritten before bindings; the next validate binds it\n")
	} else {
		fmt.Fprintf(tw, "endpoint\t%s\n", ep.BaseURL)
		fmt.Fprintf(tw, "path\t%s\n", ep.Path)
		fmt.Fprintf(tw, "tenant\t%s\n", ep.Tenant)
	}
	fmt.Fprintf(tw, "ids\t%d\n", st.IDs)
	dead := max(0, st.Lines-st.IDs-boolInt(!j.Endpoint().IsZero()))
	fmt.Fprintf(tw, "lines\t%d, of which %d superseded or unreadable (compact drops them)\n", st.Lines, dead)
	fmt.Fprintf(tw, "size\t%d bytes\n", st.Bytes)
	var b strings.Builder
	for i, bk := range ageBuckets {
		fmt.Fprintf(&b, "%s %d · ", bk.name, ages[i])
	}
	fmt.Fprintf(&b, "older %d", ages[len(ageBuckets)])
	fmt.Fprintf(tw, "answers by age\t%s\n", b.String())
	fmt.Fprintf(tw, "answers by verdict\tavailable %d · taken %d · other %d\n", available, taken, other)
	for _, w := range j.Warnings() {
		fmt.Fprintf(tw, "warning\t%s\n", w)
	}
	return tw.Flush()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func stateCompact(path string, stdout io.Writer) error {
	before, after, err := journal.Compact(path)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "compacted %s: %d lines -> %d (%d ids), %d bytes -> %d\n",
		path, before.Lines, after.Lines, after.IDs, before.Bytes, after.Bytes)
	return err
}

func stateExport(path string, stdout io.Writer) error {
	j, err := readState(path)
	if err != nil {
		return err
	}
	defer j.Close()
	w := csv.NewWriter(stdout)
	w.Write([]string{"id", "isAvailable", "messageCode", "answeredAt"})
	err = j.All(func(id string, e journal.Entry) bool { // in the ids' order
		return w.Write([]string{id, strconv.FormatBool(e.IsAvailable), e.MessageCode, e.Time.Format(time.RFC3339)}) == nil
	})
	if err != nil {
		return fmt.Errorf("state export: %w", err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("state export: %w", err)
	}
	return nil
}
