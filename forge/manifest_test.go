// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"testing"
)

// The committed App manifest asks for what the App uses: the permissions
// its calls need and the events jobsFor acts on (installation events
// come to every App unasked).
func TestAppManifest(t *testing.T) {
	data, err := os.ReadFile("app-manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name        string               `json:"name"`
		Hook        struct{ URL string } `json:"hook_attributes"`
		Permissions map[string]string    `json:"default_permissions"`
		Events      []string             `json:"default_events"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"pull_requests": "write", "checks": "write", "contents": "read", "metadata": "read"}
	if !reflect.DeepEqual(m.Permissions, want) {
		t.Errorf("permissions %v, want %v", m.Permissions, want)
	}
	sort.Strings(m.Events)
	if !reflect.DeepEqual(m.Events, []string{"check_run", "check_suite", "pull_request"}) {
		t.Errorf("events %v", m.Events)
	}
	for _, e := range m.Events {
		if eventLabel(e) == "other" {
			t.Errorf("event %s is not one the server reads", e)
		}
	}
	if m.Name != "lockbot" || m.Hook.URL == "" {
		t.Errorf("manifest %+v", m)
	}
}
