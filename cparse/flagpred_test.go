// SPDX-License-Identifier: GPL-2.0-only

package cparse

import "testing"

// TestFlagPredicate: a call-free macro that tests a flag of what its
// parameter points to is read as a function; constants, accessors and
// assignments are not.
func TestFlagPredicate(t *testing.T) {
	for body, want := range map[string]bool{
		"((adev)->virt.caps & AMDGPU_SRIOV_CAPS_RUNTIME)": true,
		"((p)->mode == MODE_FAST)":                        true,
		"((p)->state != 0)":                               true,
		"((p)->flags)":                                    false, // an accessor: no test
		"(0x10)":                                          false,
		"((p)->flags = 0)":                                false,
		"((p)->count++ & 1)":                              false,
		"(X & Y)":                                         false, // no parameter
	} {
		params := []string{"adev", "p"}
		if got := flagPredicate(body, params); got != want {
			t.Errorf("flagPredicate(%q) = %v, want %v", body, got, want)
		}
	}
}
