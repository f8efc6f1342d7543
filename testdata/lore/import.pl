#!/usr/bin/perl
# import.pl NAME DIR: adds each file of DIR (sorted by name) to the
# public-inbox NAME of $PI_CONFIG as one message, with public-inbox's own
# writer, the one public-inbox-mda uses: the backlog test's thousand mails
# in one process instead of a thousand.
use strict;
use warnings;
use PublicInbox::Config;
use PublicInbox::InboxWritable;
use PublicInbox::Eml;

my ($name, $dir) = @ARGV;
die "usage: import.pl NAME DIR\n" unless defined $dir;
my $ibx = PublicInbox::Config->new->lookup_name($name) or die "no inbox $name\n";
my $im = PublicInbox::InboxWritable->new($ibx)->importer(0);
opendir(my $dh, $dir) or die "$dir: $!\n";
for my $f (sort grep { !/^\./ } readdir($dh)) {
	open(my $fh, '<', "$dir/$f") or die "$dir/$f: $!\n";
	my $raw = do { local $/; <$fh> };
	$im->add(PublicInbox::Eml->new(\$raw)) or die "$f: not added\n";
}
$im->done;
