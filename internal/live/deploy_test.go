package live_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/azotte/azvalidate/internal/cli"
	"github.com/azotte/azvalidate/internal/live"
)

// The parts of the Kubernetes objects the example must get right.
type object struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		Schedule          string `yaml:"schedule"`
		ConcurrencyPolicy string `yaml:"concurrencyPolicy"`
		JobTemplate       struct {
			Spec struct {
				ActiveDeadlineSeconds int64 `yaml:"activeDeadlineSeconds"`
				Template              struct {
					Metadata struct {
						Annotations map[string]string `yaml:"annotations"`
					} `yaml:"metadata"`
					Spec podSpec `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

type podSpec struct {
	Containers []struct {
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
		Env   []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				SecretKeyRef *struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		Ports []struct {
			ContainerPort int `yaml:"containerPort"`
		} `yaml:"ports"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	} `yaml:"containers"`
	Volumes []struct {
		Name string `yaml:"name"`
		PVC  *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		Secret *struct {
			SecretName string `yaml:"secretName"`
		} `yaml:"secret"`
	} `yaml:"volumes"`
}

// TestCronJobExample checks deploy/cronjob.yaml: the settings a profile of
// the config file a ConfigMap holds (config show refuses a flag or setting
// validate does not know), the key a Secret's file, the journal on a claim
// that the file defines, --deadline below the schedule's period (and the
// job's hard stop between them), --listen on the pod's port with the
// scrape annotations.
func TestCronJobExample(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../deploy/cronjob.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]object{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var o object
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("cronjob.yaml: %v", err)
		}
		objs[o.Kind] = o
	}
	cj, ok := objs["CronJob"]
	if !ok {
		t.Fatal("no CronJob")
	}
	pvc, ok := objs["PersistentVolumeClaim"]
	if !ok {
		t.Fatal("no PersistentVolumeClaim")
	}
	if cj.Spec.ConcurrencyPolicy != "Forbid" {
		t.Errorf("concurrencyPolicy %q: two runs of one tenant would share its rate limit and journal", cj.Spec.ConcurrencyPolicy)
	}
	tmpl := cj.Spec.JobTemplate.Spec.Template
	pod := tmpl.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if !strings.HasPrefix(c.Image, "azvalidate:") {
		t.Errorf("image %q, want the Dockerfile's azvalidate", c.Image)
	}
	// The settings from a ConfigMap holding the config file; what a run
	// takes from it is what config show says, flag by flag.
	cm, ok := objs["ConfigMap"]
	if !ok || cm.Data["config.yaml"] == "" {
		t.Fatal("no ConfigMap holding config.yaml")
	}
	mounts := map[string]string{} // volume name -> mount path
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = strings.TrimSuffix(m.MountPath, "/")
	}
	var configPath, keyDir string
	for _, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil && v.ConfigMap.Name == cm.Metadata.Name:
			configPath = mounts[v.Name] + "/config.yaml"
		case v.Secret != nil && v.Secret.SecretName != "":
			keyDir = mounts[v.Name]
		}
	}
	var configFromEnv bool
	for _, e := range c.Env {
		configFromEnv = configFromEnv || e.Name == "AZVALIDATE_CONFIG" && e.Value == configPath && configPath != "/config.yaml"
		if e.Name == "AZOTTE_API_KEY" {
			t.Error("AZOTTE_API_KEY in the environment; the key is the Secret's file")
		}
	}
	if !configFromEnv {
		t.Errorf("AZVALIDATE_CONFIG does not name the ConfigMap's config.yaml as mounted (%q)", configPath)
	}
	if len(c.Args) == 0 || c.Args[0] != "validate" {
		t.Fatalf("args %q, want validate first", c.Args)
	}
	local := t.TempDir() + "/config.yaml"
	if err := os.WriteFile(local, []byte(cm.Data["config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	var show, stderr bytes.Buffer
	args := append([]string{"config", "show", "--config", local}, c.Args[1:len(c.Args)-1]...) // the flags, not the input
	if code := cli.Run(context.Background(), args, cli.Env{Stdout: &show, Stderr: &stderr}); code != 0 {
		t.Fatalf("config show %q: exit %d\n%s", args, code, stderr.String())
	}
	flags := map[string]string{}
	for _, line := range strings.Split(show.String(), "\n") {
		if f := strings.Fields(line); len(f) == 3 && (f[2] == "profile" || f[2] == "flag") {
			flags["--"+f[0]] = f[1]
		}
	}
	if key := flags["--api-key-file"]; keyDir == "" || !strings.HasPrefix(key, keyDir+"/") {
		t.Errorf("api-key-file %q is not in the Secret's volume (%q)", key, keyDir)
	}
	for _, name := range []string{"--state", "--deadline", "--listen", "--output", "--summary"} {
		if flags[name] == "" {
			t.Errorf("the profile sets no %s:\n%s", name, show.String())
		}
	}

	// The journal on the claim.
	claims := map[string]string{} // volume name -> claim
	for _, v := range pod.Volumes {
		if v.PVC != nil {
			claims[v.Name] = v.PVC.ClaimName
		}
	}
	state := flags["--state"]
	var onClaim bool
	for _, m := range c.VolumeMounts {
		if claims[m.Name] == pvc.Metadata.Name && strings.HasPrefix(state, strings.TrimSuffix(m.MountPath, "/")+"/") {
			onClaim = true
		}
	}
	if state == "" || !onClaim {
		t.Errorf("--state %q is not on the claim %s", state, pvc.Metadata.Name)
	}

	// --deadline < the hard stop < the schedule's period.
	period := schedulePeriod(t, cj.Spec.Schedule)
	deadline, err := time.ParseDuration(flags["--deadline"])
	if err != nil || deadline <= 0 {
		t.Fatalf("--deadline %q: %v", flags["--deadline"], err)
	}
	hardStop := time.Duration(cj.Spec.JobTemplate.Spec.ActiveDeadlineSeconds) * time.Second
	if !(deadline < hardStop && hardStop < period) {
		t.Errorf("--deadline %v, activeDeadlineSeconds %v, period %v: want deadline < hard stop < period", deadline, hardStop, period)
	}

	// --listen on the pod's port, announced for scraping.
	addr, loopback, err := live.ResolveAddr(flags["--listen"])
	if err != nil || loopback {
		t.Fatalf("--listen %q: %v, loopback %v; Prometheus scrapes the pod's address", flags["--listen"], err, loopback)
	}
	_, port, _ := net.SplitHostPort(addr)
	a := tmpl.Metadata.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != port || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("annotations %v, want scrape true, port %s, path /metrics", a, port)
	}
	var declared bool
	for _, p := range c.Ports {
		declared = declared || strconv.Itoa(p.ContainerPort) == port
	}
	if !declared {
		t.Errorf("port %s not declared on the container", port)
	}
}

// schedulePeriod is the period of a daily ("M H * * *") or hourly
// ("M * * * *") cron schedule, the forms the example may use.
func schedulePeriod(t *testing.T, s string) time.Duration {
	t.Helper()
	f := strings.Fields(s)
	if len(f) != 5 || f[2] != "*" || f[3] != "*" || f[4] != "*" {
		t.Fatalf("schedule %q: want a daily or hourly one", s)
	}
	if _, err := strconv.Atoi(f[0]); err != nil {
		t.Fatalf("schedule %q: minute %q", s, f[0])
	}
	if f[1] == "*" {
		return time.Hour
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		t.Fatalf("schedule %q: hour %q", s, f[1])
	}
	return 24 * time.Hour
}
