package deploy

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// object is one rendered Kubernetes object, decoded into the fields these
// checks read.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string            `yaml:"name"`
		Namespace string            `yaml:"namespace"`
		Labels    map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec yaml.Node         `yaml:"spec"`
}

type container struct {
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct{ Name, Key string } `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type deploymentSpec struct {
	Replicas *int `yaml:"replicas"`
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Template struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec struct {
			TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
			SecurityContext               struct {
				RunAsNonRoot *bool `yaml:"runAsNonRoot"`
				RunAsUser    int   `yaml:"runAsUser"`
			} `yaml:"securityContext"`
			Containers []container `yaml:"containers"`
			Volumes    []struct {
				Name   string `yaml:"name"`
				Secret *struct {
					SecretName string `yaml:"secretName"`
				} `yaml:"secret"`
			} `yaml:"volumes"`
		} `yaml:"spec"`
	} `yaml:"template"`
}

// render builds a kustomization directory (relative to deployments/kubernetes)
// in process and decodes every object.
func render(tb testing.TB, dir string) map[string]object {
	tb.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(repoRoot, "deployments", "kubernetes", dir))
	if err != nil {
		tb.Fatalf("kustomize build %s: %v", dir, err)
	}
	out := map[string]object{}
	for _, r := range rm.Resources() {
		b, err := r.AsYAML()
		if err != nil {
			tb.Fatal(err)
		}
		var o object
		if err := yaml.Unmarshal(b, &o); err != nil {
			tb.Fatalf("decode %s: %v", r.CurId(), err)
		}
		if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
			tb.Errorf("object without apiVersion, kind or name:\n%s", b)
		}
		key := o.Kind + "/" + o.Metadata.Name
		if _, dup := out[key]; dup {
			tb.Errorf("duplicate %s", key)
		}
		out[key] = o
	}
	return out
}

func decodeSpec[T any](tb testing.TB, o object) T {
	tb.Helper()
	var v T
	if err := o.Spec.Decode(&v); err != nil {
		tb.Fatalf("%s/%s spec: %v", o.Kind, o.Metadata.Name, err)
	}
	return v
}

func TestKustomizeBase(t *testing.T) {
	objs := render(t, "base")
	want := []string{
		"ConfigMap/tagflow-config",
		"Deployment/tagflow-ingest", "Deployment/tagflow-worker",
		"HorizontalPodAutoscaler/tagflow-ingest",
		"PodDisruptionBudget/tagflow-ingest", "PodDisruptionBudget/tagflow-worker",
		"PodMonitor/tagflow-ingest", "PodMonitor/tagflow-worker",
		"ScaledObject/tagflow-worker",
		"Service/tagflow-ingest",
	}
	if got := keys(objs); !slices.Equal(got, want) {
		t.Errorf("objects = %v, want %v", got, want)
	}
	for k, o := range objs {
		if o.Metadata.Namespace != "" {
			t.Errorf("%s: namespace %q in a namespace-less base", k, o.Metadata.Namespace)
		}
		if o.Metadata.Labels["app.kubernetes.io/part-of"] != "tagflow" {
			t.Errorf("%s: no part-of label", k)
		}
	}

	cm := objs["ConfigMap/tagflow-config"].Data
	for _, name := range []string{"NATS_URL", "TAGTOG_URL", "TAGFLOW_CONCURRENCY", "TAGFLOW_ANNOTATOR", "TAGFLOW_MODEL_URL", "TAGFLOW_OFFSET_UNIT", "TAGFLOW_STREAM_REPLICAS"} {
		if _, ok := cm[name]; !ok {
			t.Errorf("ConfigMap lacks %s", name)
		}
	}
	for name := range cm {
		if strings.Contains(name, "PASSWORD") || strings.Contains(name, "USER") {
			t.Errorf("ConfigMap carries a credential: %s", name)
		}
	}

	tests := []struct {
		name, port       string
		portNumber       int
		secret           string
		secretEnv        []string // env names read from the secret
		fileEnv          string   // *_FILE env that points at the mounted secret
		minGrace         time.Duration
		replicasByOthers bool
	}{
		{"tagflow-ingest", "http", 8080, "tagflow-webhook", []string{"TAGFLOW_WEBHOOK_USER"}, "TAGFLOW_WEBHOOK_PASSWORD_FILE", 0, true},
		{"tagflow-worker", "metrics", 9091, "tagflow-tagtog", []string{"TAGTOG_USERNAME"}, "TAGTOG_PASSWORD_FILE", parseGrace(t, cm["TAGFLOW_SHUTDOWN_GRACE"]), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decodeSpec[deploymentSpec](t, objs["Deployment/"+tt.name])
			if tt.replicasByOthers && d.Replicas != nil {
				t.Errorf("replicas = %d set: it would fight the autoscaler", *d.Replicas)
			}
			if d.Selector.MatchLabels["app.kubernetes.io/name"] != tt.name || d.Template.Metadata.Labels["app.kubernetes.io/name"] != tt.name {
				t.Errorf("selector/template labels do not name %s", tt.name)
			}
			ps := d.Template.Spec
			if ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot || ps.SecurityContext.RunAsUser != 65532 {
				t.Errorf("pod securityContext: runAsNonRoot/runAsUser 65532 missing")
			}
			if grace := time.Duration(ps.TerminationGracePeriodSeconds) * time.Second; grace <= tt.minGrace {
				t.Errorf("terminationGracePeriodSeconds %v must exceed the worker grace %v", grace, tt.minGrace)
			}
			if len(ps.Containers) != 1 {
				t.Fatalf("%d containers, want 1", len(ps.Containers))
			}
			c := ps.Containers[0]
			if len(c.Ports) != 1 || c.Ports[0].Name != tt.port || c.Ports[0].ContainerPort != tt.portNumber {
				t.Errorf("ports = %+v, want %s %d", c.Ports, tt.port, tt.portNumber)
			}
			if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" || c.LivenessProbe.HTTPGet.Port != tt.port {
				t.Errorf("liveness probe = %+v, want /healthz on %s", c.LivenessProbe, tt.port)
			}
			if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.ReadinessProbe.HTTPGet.Port != tt.port {
				t.Errorf("readiness probe = %+v, want /readyz on %s", c.ReadinessProbe, tt.port)
			}
			if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
				t.Errorf("resources = %+v: cpu/memory requests and a memory limit wanted", c.Resources)
			}
			sc := c.SecurityContext
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || !slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
				t.Errorf("container securityContext = %+v", sc)
			}
			if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != "tagflow-config" {
				t.Errorf("envFrom does not load tagflow-config")
			}
			fromSecret := map[string]string{}
			values := map[string]string{}
			for _, e := range c.Env {
				values[e.Name] = e.Value
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					fromSecret[e.Name] = e.ValueFrom.SecretKeyRef.Name
				}
				if strings.Contains(e.Name, "PASSWORD") && !strings.HasSuffix(e.Name, "_FILE") {
					t.Errorf("password in an environment variable %s: mount it and use %s", e.Name, tt.fileEnv)
				}
			}
			for _, name := range tt.secretEnv {
				if fromSecret[name] != tt.secret {
					t.Errorf("%s from secret %q, want %q", name, fromSecret[name], tt.secret)
				}
			}
			mounted := false
			for _, v := range ps.Volumes {
				if v.Secret != nil && v.Secret.SecretName == tt.secret {
					mounted = true
				}
			}
			if !mounted || !strings.HasPrefix(values[tt.fileEnv], "/etc/tagflow/") {
				t.Errorf("secret %s mounted = %v, %s = %q", tt.secret, mounted, tt.fileEnv, values[tt.fileEnv])
			}
		})
	}

	t.Run("service", func(t *testing.T) {
		s := decodeSpec[serviceSpec](t, objs["Service/tagflow-ingest"])
		if s.Selector["app.kubernetes.io/name"] != "tagflow-ingest" || len(s.Ports) != 1 || s.Ports[0].Port != 8080 || s.Ports[0].TargetPort != "http" {
			t.Errorf("service spec = %+v", s)
		}
	})

	t.Run("scaledobject", func(t *testing.T) {
		so := decodeSpec[struct {
			ScaleTargetRef  struct{ Name string } `yaml:"scaleTargetRef"`
			MinReplicaCount int                   `yaml:"minReplicaCount"`
			MaxReplicaCount int                   `yaml:"maxReplicaCount"`
			Triggers        []struct {
				Type     string            `yaml:"type"`
				Metadata map[string]string `yaml:"metadata"`
			} `yaml:"triggers"`
		}](t, objs["ScaledObject/tagflow-worker"])
		if so.ScaleTargetRef.Name != "tagflow-worker" || so.MinReplicaCount < 1 || so.MaxReplicaCount <= so.MinReplicaCount {
			t.Errorf("scaledobject = %+v", so)
		}
		if len(so.Triggers) != 1 || so.Triggers[0].Type != "nats-jetstream" {
			t.Fatalf("triggers = %+v, want one nats-jetstream", so.Triggers)
		}
		md := so.Triggers[0].Metadata
		want := map[string]string{
			"natsServerMonitoringEndpoint": "nats-headless.nats.svc.cluster.local:8222",
			"account":                      "$G",
			"stream":                       "TAGTOG",
			"consumer":                     "annotator",
		}
		for k, v := range want {
			if md[k] != v {
				t.Errorf("trigger %s = %q, want %q", k, md[k], v)
			}
		}
		if md["lagThreshold"] == "" {
			t.Errorf("no lagThreshold")
		}
	})

	t.Run("podmonitors", func(t *testing.T) {
		for name, port := range map[string]string{"tagflow-ingest": "http", "tagflow-worker": "metrics"} {
			pm := decodeSpec[struct {
				JobLabel string `yaml:"jobLabel"`
				Selector struct {
					MatchLabels map[string]string `yaml:"matchLabels"`
				} `yaml:"selector"`
				Endpoints []struct{ Port, Path string } `yaml:"podMetricsEndpoints"`
			}](t, objs["PodMonitor/"+name])
			if pm.JobLabel != "app.kubernetes.io/name" || pm.Selector.MatchLabels["app.kubernetes.io/name"] != name {
				t.Errorf("%s: jobLabel %q selector %v: the job label must be %s, as the alert rules expect", name, pm.JobLabel, pm.Selector.MatchLabels, name)
			}
			if len(pm.Endpoints) != 1 || pm.Endpoints[0].Port != port || pm.Endpoints[0].Path != "/metrics" {
				t.Errorf("%s: endpoints = %+v, want %s /metrics", name, pm.Endpoints, port)
			}
		}
	})

	t.Run("pdb and hpa", func(t *testing.T) {
		for _, name := range []string{"tagflow-ingest", "tagflow-worker"} {
			pdb := decodeSpec[struct {
				Selector struct {
					MatchLabels map[string]string `yaml:"matchLabels"`
				} `yaml:"selector"`
			}](t, objs["PodDisruptionBudget/"+name])
			if pdb.Selector.MatchLabels["app.kubernetes.io/name"] != name {
				t.Errorf("PDB %s selects %v", name, pdb.Selector.MatchLabels)
			}
		}
		hpa := decodeSpec[struct {
			ScaleTargetRef struct{ Kind, Name string } `yaml:"scaleTargetRef"`
			MinReplicas    int                         `yaml:"minReplicas"`
			Metrics        []struct {
				Resource struct{ Name string } `yaml:"resource"`
			} `yaml:"metrics"`
		}](t, objs["HorizontalPodAutoscaler/tagflow-ingest"])
		if hpa.ScaleTargetRef.Name != "tagflow-ingest" || hpa.MinReplicas < 2 || len(hpa.Metrics) != 1 || hpa.Metrics[0].Resource.Name != "cpu" {
			t.Errorf("hpa = %+v", hpa)
		}
	})
}

type serviceSpec struct {
	Selector map[string]string `yaml:"selector"`
	Ports    []struct {
		Port       int    `yaml:"port"`
		TargetPort string `yaml:"targetPort"`
	} `yaml:"ports"`
}

func parseGrace(tb testing.TB, s string) time.Duration {
	tb.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		tb.Fatalf("TAGFLOW_SHUTDOWN_GRACE %q: %v", s, err)
	}
	return d
}

func TestKustomizeDevOverlay(t *testing.T) {
	objs := render(t, "overlays/dev")
	var kinds []string
	for k := range objs {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		if strings.HasPrefix(k, "ScaledObject/") || strings.HasPrefix(k, "PodMonitor/") {
			t.Errorf("dev overlay keeps %s, which needs CRDs a dev cluster lacks", k)
		}
	}
	for _, k := range []string{"Deployment/tagtog-emulator", "Service/tagtog-emulator", "Deployment/tagflow-worker", "Deployment/tagflow-ingest"} {
		if _, ok := objs[k]; !ok {
			t.Errorf("dev overlay lacks %s", k)
		}
	}
	secrets := map[string]bool{}
	for k := range objs {
		if name, ok := strings.CutPrefix(k, "Secret/"); ok {
			secrets[name] = true
		}
	}
	if len(secrets) != 2 {
		t.Errorf("secrets = %v, want the tagtog and webhook ones", secrets)
	}
	w := decodeSpec[deploymentSpec](t, objs["Deployment/tagflow-worker"])
	if w.Replicas == nil || *w.Replicas != 2 {
		t.Errorf("worker replicas = %v, want 2", w.Replicas)
	}
	if got := objs["ConfigMap/tagflow-config"].Data["TAGTOG_URL"]; got != "http://tagtog-emulator:8081" {
		t.Errorf("TAGTOG_URL = %q", got)
	}
	if got := objs["ConfigMap/tagflow-config"].Data["TAGFLOW_STREAM_REPLICAS"]; got != "1" {
		t.Errorf("TAGFLOW_STREAM_REPLICAS = %q, want 1 on a single-node NATS", got)
	}
	// Every secret reference points at a generated secret (names carry a hash).
	for _, name := range []string{"tagflow-worker", "tagflow-ingest", "tagtog-emulator"} {
		d := decodeSpec[deploymentSpec](t, objs["Deployment/"+name])
		for _, c := range d.Template.Spec.Containers {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !secrets[e.ValueFrom.SecretKeyRef.Name] {
					t.Errorf("%s env %s refers to missing secret %q", name, e.Name, e.ValueFrom.SecretKeyRef.Name)
				}
			}
		}
		for _, v := range d.Template.Spec.Volumes {
			if v.Secret != nil && !secrets[v.Secret.SecretName] {
				t.Errorf("%s volume %s refers to missing secret %q", name, v.Name, v.Secret.SecretName)
			}
		}
	}
	emu := decodeSpec[deploymentSpec](t, objs["Deployment/tagtog-emulator"])
	found := false
	for _, e := range emu.Template.Spec.Containers[0].Env {
		if e.Name == "TAGTOG_EMULATOR_WEBHOOK_URL" && e.Value == "http://tagflow-ingest:8080/webhook" {
			found = true
		}
	}
	if !found {
		t.Errorf("emulator webhook does not point at the tagflow-ingest service")
	}
}

func TestNATSValues(t *testing.T) {
	var v struct {
		Config struct {
			Cluster struct {
				Enabled  bool `yaml:"enabled"`
				Replicas int  `yaml:"replicas"`
			} `yaml:"cluster"`
			JetStream struct {
				Enabled   bool `yaml:"enabled"`
				FileStore struct {
					Enabled bool `yaml:"enabled"`
					PVC     struct {
						Enabled bool   `yaml:"enabled"`
						Size    string `yaml:"size"`
					} `yaml:"pvc"`
				} `yaml:"fileStore"`
			} `yaml:"jetstream"`
			Monitor struct {
				Enabled bool `yaml:"enabled"`
				Port    int  `yaml:"port"`
			} `yaml:"monitor"`
		} `yaml:"config"`
		PromExporter struct {
			Enabled bool `yaml:"enabled"`
		} `yaml:"promExporter"`
	}
	readYAML(t, filepath.Join(repoRoot, "deployments", "kubernetes", "nats-values.yaml"), &v)
	c := v.Config
	if !c.Cluster.Enabled || c.Cluster.Replicas != 3 {
		t.Errorf("cluster = %+v, want 3 replicas", c.Cluster)
	}
	if !c.JetStream.Enabled || !c.JetStream.FileStore.Enabled || !c.JetStream.FileStore.PVC.Enabled || c.JetStream.FileStore.PVC.Size == "" {
		t.Errorf("jetstream = %+v, want a file store on a PVC", c.JetStream)
	}
	if !c.Monitor.Enabled || c.Monitor.Port != 8222 || !v.PromExporter.Enabled {
		t.Errorf("monitor %+v exporter %v: KEDA and the dashboard need both", c.Monitor, v.PromExporter.Enabled)
	}
	objs := render(t, "base")
	if got := objs["ConfigMap/tagflow-config"].Data["TAGFLOW_STREAM_REPLICAS"]; got != "3" {
		t.Errorf("TAGFLOW_STREAM_REPLICAS = %q, want 3 to match the cluster", got)
	}
}
