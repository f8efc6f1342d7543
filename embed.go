// SPDX-License-Identifier: GPL-2.0-only

// Package lockbot holds the built-in knowledge base of kernel primitives.
// The analysis lives in the cparse, kb and rules packages and the command
// in cmd/lockbot.
package lockbot

import _ "embed"

// RulesYAML is rules.yaml, the knowledge base of kernel primitives.
//
//go:embed rules.yaml
var RulesYAML []byte
