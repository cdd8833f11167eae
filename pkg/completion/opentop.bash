# bash completion for otc, otdeploy and otnode (OpenTop).
#
# Installed once per program (bash-completion loads completions/<program>).
# Subcommands and options are read from the programs' own --help texts, so
# this file never lists them twice and never goes stale: `otc --help` lists
# "  otc COMMAND ..." lines, `otc help COMMAND` a command's options,
# `otnode --help` its commands under "commands:" and every program its
# options as "--long" words.

# The --long options a help text mentions, one per line.
_opentop_options()
{
	"$@" 2>/dev/null | grep -oE -- '(^|[ ,[])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sort -u
}

# Complete files: topologies (.otp), hosts files and directories; the
# caller's word is $cur.
_opentop_files()
{
	compopt -o filenames 2>/dev/null
	COMPREPLY+=($(compgen -f -- "$cur"))
}

# Set the caller's cur (the word completed), prev (the one before it) and
# cmd (the first word before the cursor that is not an option nor the
# argument of one of the options in $1, "|"-separated; empty if none);
# empty COMPREPLY.
_opentop_init()
{
	local i w
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ "|$1|" == *"|$w|"* ]]; then
			((i++))
			continue
		fi
		case $w in
		-*) ;;
		*) cmd=$w; return 0 ;;
		esac
	done
}

_opentop_otc()
{
	local cur prev cmd
	_opentop_init "-D|--define|--instance|--bounds|-o|--output|-N|-n|--node|--runtime"
	case $prev in
	-D | --define | --instance | --bounds | -N | -n | --node) return 0 ;;
	-o | --output)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0 ;;
	--runtime) _opentop_files; return 0 ;;
	esac
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$(${COMP_WORDS[0]} --help 2>/dev/null | awk '$1 == "otc" { print $2 }') --help --version" -- "$cur"))
		return 0
	fi
	if [ "$cmd" = help ]; then
		COMPREPLY=($(compgen -W "$(${COMP_WORDS[0]} --help 2>/dev/null | awk '$1 == "otc" { print $2 }')" -- "$cur"))
		return 0
	fi
	case $cur in
	-*) COMPREPLY=($(compgen -W "$(_opentop_options "${COMP_WORDS[0]}" help "$cmd")" -- "$cur")) ;;
	*) _opentop_files ;;
	esac
}

_opentop_otdeploy()
{
	local cur prev cmd
	_opentop_init "-j|--parallel|-D|--define|--instance|--timeout|--connect-timeout|--color|--known-hosts|--ssh-config"
	case $prev in
	-j | --parallel | -D | --define | --instance | --timeout | --connect-timeout) return 0 ;;
	--color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return 0 ;;
	--known-hosts | --ssh-config) _opentop_files; return 0 ;;
	esac
	case $cur in
	-*) COMPREPLY=($(compgen -W "$(_opentop_options "${COMP_WORDS[0]}" --help)" -- "$cur")) ;;
	*) _opentop_files ;;
	esac
}

_opentop_otnode()
{
	local cur prev cmd
	_opentop_init "--plan|--timeout"
	case $prev in
	--plan) _opentop_files; return 0 ;;
	--timeout) return 0 ;;
	esac
	if [ -z "$cmd" ]; then
		case $cur in
		-*) COMPREPLY=($(compgen -W "--plan --help --version" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$(${COMP_WORDS[0]} --help 2>/dev/null |
			awk '/^commands:/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  [a-z]/ { print $1 }')" -- "$cur")) ;;
		esac
		return 0
	fi
	# A command's options are the --words on its lines of the help text.
	case $cur in
	-*) COMPREPLY=($(compgen -W "$(${COMP_WORDS[0]} --help 2>/dev/null |
		awk -v c="$cmd" '/^commands:/ { on = 1; next } /^[^ ]/ { on = 0 }
			on && /^  [a-z]/ { cur = $1 } on && cur == c' |
		grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)" -- "$cur")) ;;
	esac
}

complete -F _opentop_otc otc
complete -F _opentop_otdeploy otdeploy
complete -F _opentop_otnode otnode
