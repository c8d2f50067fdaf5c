"""Which files GitHub Linguist counts as source: the file filter of the reference truck factor.

Avelino et al.'s tool (aserg-ufmg/Truck-Factor) keeps only the files that
Linguist's ``breakdown_by_file`` lists: files whose language is of the
*programming* or *markup* type (not data such as JSON and YAML, not prose such
as Markdown), and that are neither vendored, documentation nor generated.
This module decides the same from the path and, for a file without a known
extension or name, its first line (``#!/usr/bin/env ruby``), so foundermode does
not need Ruby. The tables are a selection of Linguist's own (``languages.yml``,
``vendor.yml``, ``documentation.yml``, ``generated.rb``): the languages and
patterns met in practice; ``docs/truck-factor.md`` records how often it agrees
with Debian's ``github-linguist`` on real repositories.
"""
from __future__ import annotations

import os
import re

PROGRAMMING = frozenset(
    """
    .4th .ada .adb .ads .agda .al .applescript .as .asm .au3 .awk .bash .bat .bb .bf .bsl .c .c++ .cake .cbl .cc .ceylon
    .cfc .cj .cjs .cl .clj .cljc .cljs .cljx .cls .cmake .cmd .cob .coffee .cp .cpp .cr .cs .csh .csx .cu .cuh .cxx .d
    .dart .dfm .di .dpr .e .ebuild .ecl .eclass .el .elm .erl .es .es6 .escript .ex .exs .f .f03 .f08 .f77 .f90 .f95
    .factor .fish .for .forth .fs .fsi .fsx .fth .fx .g4 .gd .gemspec .gml .gn .gni .go .god .gradle .groovy .gs .gsp
    .gvy .h .h++ .hack .hh .hpp .hrl .hs .hx .hxx .hy .i7x .idr .ijs .inc .ino .io .ipp .irbrc .j .jake .java .jbuilder
    .jl .js .jsb .jscad .jsfl .jsm .jss .jsx .kojo .kt .ktm .kts .l .lagda .lean .lhs .lisp .ll .lsl .lsp .lua .m .m4
    .ma .mak .make .mjs .mk .ml .mli .mll .mly .mm .mod .moo .mq4 .mq5 .mqh .ms .mu .mxml .nb .nim .nimble .nims .nix
    .nl .nse .nu .numpy .nut .p .p6 .pas .pb .pbi .pck .pd_lua .php .php3 .php4 .php5 .phps .phpt .phtml .pike .pkb
    .pks .pl .pl6 .plb .pls .plsql .plx .pm .pm6 .pmod .podspec .pony .pp .pro .prolog .ps1 .psd1 .psm1 .purs .pwn .py
    .py3 .pyi .pyp .pyt .pyw .pyx .pxd .pxi .q .qml .r .rake .rb .rbi .rbuild .rbw .rbx .re .red .reds .rei .rexx .rkt
    .rktd .rktl .rs .rsx .ru .ruby .s .sage .sagews .sas .sbt .sc .scala .scd .sce .sci .scm .sh .sjs .sls .sm .sma .sml
    .sol .sp .sqf .sqlrpgle .ss .st .swift .t .tac .tcc .tcl .tesc .thor .thy .tm .tool .tpp .ts .tsx .tu .v .vala
    .vapi .vb .vba .vbs .vhd .vhdl .vim .vimrc .vmb .vsh .vy .watchr .wisp .wl .wlt .x10 .xc .xpl .xq .xql .xqm .xquery
    .xqy .xs .xsjs .xsjslib .xtend .y .yacc .yap .yy .zeek .zig .zsh
    """.split()
)
MARKUP = frozenset(
    """
    .adoc .asciidoc .astro .cshtml .css .dashboard .ecr .ejs .eex .erb .hbs .handlebars .haml .heex .htm .html .html.hl
    .inky .ipynb .jade .jinja .jinja2 .jsp .kit .latte .leex .less .liquid .marko .mustache .njk .phtml .pod .pug .razor
    .rhtml .sass .scss .shtml .slim .sss .styl .svelte .tex .ltx .sty .twig .vue .xht .xhtml
    """.split()
)
# Files Linguist knows by their whole name (a selection of languages.yml's "filenames").
FILENAMES = {
    name: "programming"
    for name in """
    Appfile Berksfile Brewfile Buildfile Capfile Dangerfile Deliverfile Fastfile Gemfile Guardfile Jarfile Mavenfile
    Podfile Puppetfile Rakefile Snapfile Steepfile Thorfile Vagrantfile buildfile .irbrc .pryrc .simplecov .gemrc
    Makefile GNUmakefile makefile Kbuild Makefile.am Makefile.in Makefile.frag Makefile.inc BSDmakefile mkfile
    Dockerfile Containerfile CMakeLists.txt SConstruct SConscript BUILD BUILD.bazel WORKSPACE Tiltfile Snakefile
    Jakefile Justfile justfile Earthfile Pkgfile PKGBUILD APKBUILD meson.build wscript
    .bash_aliases .bash_functions .bash_logout .bash_profile .bashrc .cshrc .env .envrc .flaskenv .login .profile
    .zlogin .zlogout .zprofile .zshenv .zshrc 9fs bash_aliases bash_logout bash_profile bashrc cshrc gradlew login
    man profile zlogin zlogout zprofile zshenv zshrc .exrc .gvimrc .nvimrc .vimrc _vimrc gvimrc nvimrc vimrc
    .emacs .emacs.desktop .gnus .spacemacs .viper Project.ede _emacs abbrev_defs
    """.split()
}
# Interpreters a first line (#!) may name, each of a programming language.
INTERPRETERS = frozenset(
    """
    ash awk bash bun crystal dart deno elixir escript fish gawk gjs groovy guile jruby julia ksh lua luajit make mawk
    nawk node nodejs osascript perl perl6 php python python2 python3 pypy pypy3 racket raku rakudo rbx rc rdmd ruby
    rune runghc runhaskell rust-script Rscript sbcl scala sh swift tclsh tcc ts-node wish zsh
    """.split()
)
VENDORED = re.compile(
    "|".join(
        r"""
        (^|/)cache/ ^[Dd]ependencies/ (^|/)dist/ ^deps/ (^|/)configure$ (^|/)config\.guess$ (^|/)config\.sub$
        (^|/)aclocal\.m4 (^|/)libtool\.m4 (^|/)lt(options|sugar|version|~obsolete)\.m4 (^|/)node_modules/
        (^|/)\.yarn/(releases|plugins|sdks|versions|unplugged)/ (^|/)bower_components/ (^|/)Godeps/_workspace/
        (^|/)testdata/ (\.|-)min\.(js|css)$ (^|/)bootstrap([^/.]*)\..*\.(js|css|less|scss|styl)$
        (^|/)font-?awesome(/.*)?\.(css|less|scss|styl)$ (^|/)(foundation|normalize|skeleton|animate)\.(css|less|scss|styl)$
        (3rd|[Tt]hird)[-_]?[Pp]arty/ (^|/)vendors?/ (^|/)[Ee]xtern(als?)?/ (^|/)[Vv]+endor/ ^debian/
        (^|/)jquery([^.]*)\.js$ (^|/)jquery-ui(-\d\.\d+(\.\d+)?)?(\.\w+)?\.(js|css)$ (^|/)\.vscode/
        (^|/)prototype(.*)\.js$ (^|/)(effects|controls|dragdrop)\.js$ (.*?)\.d\.ts$ (^|/)dojo\.js$ (^|/)yui([^.]*)\.js$
        (^|/)ckeditor\.js$ (^|/)tiny_mce (^|/)MathJax/ (^|/)Chart\.js$ (^|/)angular([^.]*)\.js$ (^|/)d3(\.v\d+)?([^.]*)\.js$
        (^|/)react(-[^.]*)?\.js$ (^|/)modernizr (^|/)docs?/_?(build|themes?|templates?|static)/ (^|/)env/
        (^|/)fabfile\.py$ (^|/)waf$ (^|/)Carthage/ (^|/)\.git(attributes|ignore|modules)$ (^|/)gradlew(\.bat)?$
        (^|/)gradle/wrapper/ (^|/)mvnw(\.cmd)?$ (^|/)\.mvn/wrapper/ (^|/)html5shiv\.js$ (^|/)[Tt]ests?/fixtures/
        (^|/)[Ss]pecs?/fixtures/ (^|/)cordova([^.]*)\.js$ (^|/)foundation(\..*)?\.js$ (^|/)Vagrantfile$ (^|/)Jenkinsfile$
        (^|/)\.github/ (^|/)\.google_apis/ (^|/)vignettes/ (^|/)[Pp]ackages/.+\.\d+/
        """.split()
    )
)
DOCUMENTATION = re.compile(
    "|".join(
        r"""
        ^[Dd]ocs?/ (^|/)[Dd]ocumentation/ (^|/)[Gg]roovydoc/ (^|/)[Jj]avadoc/ ^[Mm]an/ ^[Ee]xamples/ ^[Dd]emos?/
        (^|/)inst/doc/ (^|/)CITATION(\.cff|(S)?(\.(bib|md))?)$ (^|/)CHANGE(S|LOG)?(\.|$) (^|/)CONTRIBUTING(\.|$)
        (^|/)COPYING(\.|$) (^|/)INSTALL(\.|$) (^|/)LICEN[CS]E(\.|$) (^|/)[Ll]icen[cs]e(\.|$) (^|/)README(\.|$)
        (^|/)[Rr]eadme(\.|$) ^[Ss]amples?/
        """.split()
    )
)
# Generated by their name (generated.rb's path rules): compiled protocol buffers, designer files, source maps.
GENERATED = re.compile(
    r"(_pb2(_grpc)?\.py|\.pb\.(go|cc|h)|_pb\.js|\.designer\.(cs|vb)|\.(js|css)\.map|\.min\.(js|css))$"
    r"|(^|/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|Gemfile\.lock|poetry\.lock|Cargo\.lock|composer\.lock)$"
)
SHEBANG = re.compile(rb"^#!\s*(?:\S*/)?(?:env\s+(?:-\S+\s+)*)?([\w.+-]+)")


def language_type(path: str, first_line: bytes | None = None) -> str | None:
    """'programming', 'markup' or None (data, prose, unknown) for a path, as Linguist would type its language."""
    name = os.path.basename(path)
    if name in FILENAMES:
        return FILENAMES[name]
    lower = name.lower()
    for ext in _extensions(lower):
        if ext in PROGRAMMING:
            return "programming"
        if ext in MARKUP:
            return "markup"
    if first_line is not None and "." not in name.lstrip("."):
        match = SHEBANG.match(first_line)
        if match and re.sub(rb"[\d.]+$", b"", match.group(1)).decode("ascii", "replace") in INTERPRETERS | {"python", "perl", "ruby"}:
            return "programming"
    return None


def needs_first_line(path: str) -> bool:
    """Only a file without an extension or known name is typed by its #! line."""
    name = os.path.basename(path)
    return name not in FILENAMES and "." not in name.lstrip(".")


def counts(path: str, first_line: bytes | None = None, size: int | None = None) -> bool:
    """Whether Linguist's language breakdown would list this file: source, not vendored, documentation or generated.

    An empty file has no language for Linguist; a file of unknown size (its blob missing) is typed by its path.
    """
    if size == 0:
        return False
    if VENDORED.search(path) or DOCUMENTATION.search(path) or GENERATED.search(path):
        return False
    return language_type(path, first_line) is not None


def _extensions(name: str) -> list[str]:
    """'.html.erb' then '.erb' for 'show.html.erb': the longest extension first, as Linguist matches."""
    parts = name.split(".")
    return ["." + ".".join(parts[i:]) for i in range(1, len(parts))] if len(parts) > 1 else []


def first_lines(repo, rev: str, paths: list[str]) -> dict[str, bytes]:
    """The first line of each file at ``rev`` (one ``git cat-file --batch``); a missing blob is left out."""
    import subprocess

    if not paths:
        return {}
    request = b"".join(f"{rev}:{path}\n".encode("utf-8", "surrogateescape") for path in paths)
    out = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], input=request, capture_output=True).stdout
    lines: dict[str, bytes] = {}
    position = 0
    for path in paths:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # "missing" (or not a blob): its header is the whole answer
        size = int(header[2])
        body = out[position : position + size]
        position += size + 1
        lines[path] = body.split(b"\n", 1)[0]
    return lines
