"""Subcommands of `w2v-theory`: each module defines NAME, HELP, DESCRIPTION, add_arguments and run."""
