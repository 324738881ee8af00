//! Iterative walk over a tree-sitter-bash tree collecting simple commands (before unwrapping).

use super::repair;
use super::words::{contains_kind, text_of, word_value};
use super::{FunctionDef, Origin, Redirect, SimpleCommand, Word};
use tree_sitter::{Node, Parser};

/// What one walk over one text found.
pub(super) struct Walked {
    pub commands: Vec<SimpleCommand>,
    pub functions: Vec<FunctionDef>,
    pub parse_error: bool,
    pub too_deep: bool,
}

/// Per command: (pipeline id and stage, heredoc upstream, substitution depth).
type Meta = (Option<(usize, usize)>, Option<usize>, usize);

/// Per-node context carried down the explicit stack.
#[derive(Clone, Copy, Default)]
struct Ctx {
    subst_depth: usize,
    /// (pipeline id, stage index)
    pipe: Option<(usize, usize)>,
    /// A command whose output feeds the first stage here (`cat <<EOF | sh`).
    heredoc_upstream: Option<usize>,
    background: bool,
    function: Option<usize>,
}

/// Deepest substitution nesting followed inside one text.
const MAX_SUBST_DEPTH: usize = 24;
/// Most nodes visited for one text.
const MAX_NODES: usize = 200_000;

/// The program a command runs, looking through wrappers: what a piped command records of
/// its upstream (`unwrap::effective_program`, passed in so the walker stays below the
/// unwrapper that parses nested text with it).
pub(super) type ProgramOf = fn(&SimpleCommand) -> String;

/// Parses `text` and collects its simple commands; `program_of` names each upstream of a
/// pipe or heredoc.
pub(super) fn walk(parser: &mut Parser, text: &str, program_of: ProgramOf) -> Walked {
    let mut out = Walked {
        commands: Vec::new(),
        functions: Vec::new(),
        parse_error: false,
        too_deep: false,
    };
    let input = parser_input(text);
    let Some(mut tree) = parser.parse(input.as_ref(), None) else {
        out.parse_error = true;
        return out;
    };
    // Forms bash accepts that the grammar rejects: parse a repaired input once more.
    let mut owned_src = None;
    if repair::has_real_error(tree.root_node())
        && let Some(fixed) = repair::repair(input.as_ref(), tree.root_node())
        && let Some(again) = parser.parse(&fixed.input, None)
        && !repair::has_real_error(again.root_node())
    {
        tree = again;
        if !fixed.suffix.is_empty() {
            owned_src = Some(format!("{text}{}", fixed.suffix));
        }
    }
    let src = owned_src.as_deref().unwrap_or(text).as_bytes();
    let root = tree.root_node();
    out.parse_error = repair::has_real_error(root);
    let mut w = Walker {
        src,
        out,
        pipes: 0,
        meta: Vec::new(),
        fn_names: Vec::new(),
    };
    let mut stack: Vec<(Node<'_>, Ctx)> = vec![(root, Ctx::default())];
    let mut visited = 0usize;
    while let Some((node, ctx)) = stack.pop() {
        visited += 1;
        if visited > MAX_NODES || w.out.commands.len() > super::MAX_COMMANDS {
            w.out.too_deep = true;
            break;
        }
        w.visit(node, ctx, &mut stack);
    }
    w.finish(program_of)
}

/// The text tree-sitter is given: `text` with every character above U+00FF replaced by as
/// many `x` bytes as its UTF-8 encoding takes, so every byte offset still points into `text`
/// (node texts are sliced from `text`, never from this copy).
///
/// tree-sitter-bash's scanner calls C's `isdigit` on the lookahead code point, which reads
/// outside glibc's table for code points above 255: `echo {` followed by U+10FFFF crashed the
/// process with SIGSEGV (found by `tests/risk_proptest.rs`). Bash itself treats such
/// characters as ordinary word characters, which `x` is too.
fn parser_input(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(|c| c <= '\u{FF}') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        if c <= '\u{FF}' {
            safe.push(c);
        } else {
            safe.extend(std::iter::repeat_n('x', c.len_utf8()));
        }
    }
    std::borrow::Cow::Owned(safe)
}

struct Walker<'a> {
    src: &'a [u8],
    out: Walked,
    pipes: usize,
    /// Per command: (ctx pipe, heredoc upstream, subst depth)
    meta: Vec<Meta>,
    fn_names: Vec<String>,
}

impl<'a> Walker<'a> {
    fn visit<'t>(&mut self, node: Node<'t>, ctx: Ctx, stack: &mut Vec<(Node<'t>, Ctx)>) {
        match node.kind() {
            "comment" | "heredoc_start" | "heredoc_end" => {}
            "command" => {
                self.command(node, ctx, stack);
            }
            "redirected_statement" => self.redirected(node, ctx, stack),
            "pipeline" => {
                self.pipes += 1;
                let id = self.pipes;
                let mut cursor = node.walk();
                let mut items = Vec::new();
                for (stage, child) in node.named_children(&mut cursor).enumerate() {
                    let mut c = ctx;
                    c.pipe = Some((id, stage));
                    if stage > 0 {
                        c.heredoc_upstream = None;
                    }
                    items.push((child, c));
                }
                for it in items.into_iter().rev() {
                    stack.push(it);
                }
            }
            "command_substitution" | "process_substitution" => {
                if ctx.subst_depth >= MAX_SUBST_DEPTH {
                    self.out.too_deep = true;
                    return;
                }
                let c = Ctx {
                    subst_depth: ctx.subst_depth + 1,
                    pipe: None,
                    heredoc_upstream: None,
                    background: false,
                    function: ctx.function,
                };
                push_children(node, c, stack);
            }
            "function_definition" => {
                let name = node
                    .child_by_field_name("name")
                    .map(|n| text_of(n, self.src))
                    .unwrap_or_default();
                self.fn_names.push(name);
                let mut c = ctx;
                c.function = Some(self.fn_names.len() - 1);
                c.pipe = None;
                if let Some(body) = node.child_by_field_name("body") {
                    stack.push((body, c));
                }
            }
            "variable_assignment" => {
                // A bare assignment: keep it as a command without argv so rules can see it.
                let idx = self.new_command(node, ctx);
                if let Some(cmd) = self.out.commands.get_mut(idx)
                    && let Some(a) = assignment(node, self.src, &mut self.out.too_deep)
                {
                    cmd.assignments.push(a);
                }
                self.push_substitutions(node, ctx, stack);
            }
            "declaration_command" | "unset_command" => {
                let idx = self.new_command(node, ctx);
                let mut cursor = node.walk();
                let mut argv = Vec::new();
                for child in node.children(&mut cursor) {
                    if child.is_named() {
                        argv.push(word_value(child, self.src, &mut self.out.too_deep));
                    } else if argv.is_empty() {
                        argv.push(Word::literal(&text_of(child, self.src)));
                    }
                }
                if let Some(cmd) = self.out.commands.get_mut(idx) {
                    cmd.argv = argv;
                }
                self.push_substitutions(node, ctx, stack);
            }
            "test_command" => {
                let idx = self.new_command(node, ctx);
                if let Some(cmd) = self.out.commands.get_mut(idx) {
                    cmd.argv = vec![Word::literal("[")];
                }
                self.push_substitutions(node, ctx, stack);
            }
            "heredoc_redirect" | "file_redirect" | "herestring_redirect" => {
                // A redirection with no command (`> file`): a command with no argv.
                let idx = self.new_command(node, ctx);
                self.attach(idx, node, ctx, stack);
            }
            "list" | "program" | "compound_statement" | "subshell" => {
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.children(&mut cursor).collect();
                let mut items = Vec::new();
                for (i, child) in children.iter().enumerate() {
                    if !child.is_named() {
                        continue;
                    }
                    let mut c = ctx;
                    if children.get(i + 1).map(|n| n.kind()) == Some("&") {
                        c.background = true;
                    }
                    items.push((*child, c));
                }
                for it in items.into_iter().rev() {
                    stack.push(it);
                }
            }
            _ => {
                if node.is_error() || node.is_missing() {
                    self.out.parse_error = true;
                }
                push_children(node, ctx, stack);
            }
        }
    }

    fn new_command(&mut self, node: Node<'_>, ctx: Ctx) -> usize {
        let cmd = SimpleCommand {
            source: text_of(node, self.src),
            origin: if ctx.subst_depth > 0 {
                Some(Origin::Substitution)
            } else {
                None
            },
            depth: ctx.subst_depth,
            background: ctx.background,
            in_function: ctx.function.and_then(|i| self.fn_names.get(i).cloned()),
            ..SimpleCommand::default()
        };
        self.out.commands.push(cmd);
        self.meta
            .push((ctx.pipe, ctx.heredoc_upstream, ctx.subst_depth));
        self.out.commands.len() - 1
    }

    fn command<'t>(&mut self, node: Node<'t>, ctx: Ctx, stack: &mut Vec<(Node<'t>, Ctx)>) -> usize {
        let idx = self.new_command(node, ctx);
        let mut cursor = node.walk();
        let mut argv = Vec::new();
        let mut assigns = Vec::new();
        let mut redirects = Vec::new();
        for child in node.children(&mut cursor) {
            match child.kind() {
                "variable_assignment" => {
                    if let Some(a) = assignment(child, self.src, &mut self.out.too_deep) {
                        assigns.push(a);
                    }
                }
                "command_name" => {
                    let inner = child.named_child(0).unwrap_or(child);
                    if inner.is_missing() && repair::tolerated_command(node) {
                        continue;
                    }
                    argv.push(word_value(inner, self.src, &mut self.out.too_deep));
                }
                "file_redirect" | "herestring_redirect" | "heredoc_redirect" => {
                    redirects.push(child);
                }
                "comment" => {}
                _ if child.is_named() => {
                    argv.push(word_value(child, self.src, &mut self.out.too_deep));
                }
                _ => {}
            }
        }
        if let Some(cmd) = self.out.commands.get_mut(idx) {
            cmd.argv = argv;
            cmd.assignments = assigns;
        }
        for r in redirects {
            self.attach(idx, r, ctx, stack);
        }
        // Substitutions inside the words run too.
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if !matches!(
                child.kind(),
                "file_redirect" | "herestring_redirect" | "heredoc_redirect"
            ) {
                self.push_substitutions(child, ctx, stack);
            }
        }
        idx
    }

    fn redirected<'t>(&mut self, node: Node<'t>, ctx: Ctx, stack: &mut Vec<(Node<'t>, Ctx)>) {
        let body = node.child_by_field_name("body");
        let mut cursor = node.walk();
        let redirects: Vec<Node<'t>> = node
            .children(&mut cursor)
            .filter(|c| {
                matches!(
                    c.kind(),
                    "file_redirect" | "herestring_redirect" | "heredoc_redirect"
                )
            })
            .collect();
        let idx = match body {
            Some(b) if b.kind() == "command" => self.command(b, ctx, stack),
            Some(b) => {
                stack.push((b, ctx));
                // Redirections of a compound body: a command with no argv carries them.
                self.new_command(node, ctx)
            }
            None => self.new_command(node, ctx),
        };
        for r in redirects {
            self.attach(idx, r, ctx, stack);
        }
    }

    /// Attaches a redirection node to command `idx`.
    fn attach<'t>(
        &mut self,
        idx: usize,
        node: Node<'t>,
        ctx: Ctx,
        stack: &mut Vec<(Node<'t>, Ctx)>,
    ) {
        match node.kind() {
            "heredoc_redirect" => {
                let mut c2 = node.walk();
                let heredoc_args: Vec<Node<'t>> =
                    node.children_by_field_name("argument", &mut c2).collect();
                let mut cursor = node.walk();
                let mut start_end = node.start_byte();
                let mut strip_tabs = false;
                let mut delim = String::new();
                for child in node.children(&mut cursor) {
                    match child.kind() {
                        "heredoc_start" => {
                            start_end = child.end_byte();
                            delim = text_of(child, self.src);
                        }
                        "<<-" => strip_tabs = true,
                        "heredoc_body" => {
                            let mut body = text_of(child, self.src);
                            if strip_tabs {
                                body = body
                                    .lines()
                                    .map(|l| l.trim_start_matches('\t'))
                                    .collect::<Vec<_>>()
                                    .join("\n");
                            }
                            if let Some(cmd) = self.out.commands.get_mut(idx) {
                                cmd.stdin_text = Some(body);
                            }
                            // Unquoted heredocs expand `$(…)`.
                            self.push_substitutions(child, ctx, stack);
                        }
                        "file_redirect" | "herestring_redirect" => {
                            self.attach(idx, child, ctx, stack);
                        }
                        "heredoc_end" | "<<" | "heredoc_content" => {}
                        _ if heredoc_args.contains(&child) => {
                            // `cmd <<EOF arg`: an argument of the command — unless the
                            // grammar took a body line for arguments.
                            let gap = self
                                .src
                                .get(start_end..child.start_byte())
                                .map(|b| b.contains(&b'\n'))
                                .unwrap_or(true);
                            if gap {
                                self.out.parse_error = true;
                            }
                            let w = word_value(child, self.src, &mut self.out.too_deep);
                            if let Some(cmd) = self.out.commands.get_mut(idx) {
                                cmd.argv.push(w);
                            }
                            self.push_substitutions(child, ctx, stack);
                        }
                        _ if child.is_named() => {
                            // The rest of the line after the heredoc operator.
                            let between = self
                                .src
                                .get(
                                    start_end
                                        ..child
                                            .start_byte()
                                            .saturating_add(2)
                                            .min(child.end_byte()),
                                )
                                .map(|b| String::from_utf8_lossy(b).into_owned())
                                .unwrap_or_default();
                            let t = between.trim();
                            let mut c = ctx;
                            c.pipe = None;
                            if t.starts_with('|') && !t.starts_with("||") {
                                c.heredoc_upstream = Some(idx);
                            } else {
                                c.heredoc_upstream = None;
                            }
                            stack.push((child, c));
                        }
                        _ => {}
                    }
                }
                if let Some(cmd) = self.out.commands.get_mut(idx) {
                    cmd.redirects.push(Redirect {
                        op: "<<".to_string(),
                        fd: None,
                        target: Word::literal(delim.trim()),
                    });
                }
            }
            "herestring_redirect" => {
                let mut cursor = node.walk();
                let value = node
                    .named_children(&mut cursor)
                    .next()
                    .map(|n| word_value(n, self.src, &mut self.out.too_deep));
                if let Some(v) = value
                    && let Some(cmd) = self.out.commands.get_mut(idx)
                {
                    {
                        cmd.stdin_text = Some(v.text.clone());
                        cmd.redirects.push(Redirect {
                            op: "<<<".to_string(),
                            fd: None,
                            target: v,
                        });
                    }
                }
                self.push_substitutions(node, ctx, stack);
            }
            _ => {
                let mut cursor = node.walk();
                let mut fd = None;
                let mut op = String::new();
                let mut target = None;
                for child in node.children(&mut cursor) {
                    if child.kind() == "file_descriptor" {
                        fd = Some(text_of(child, self.src));
                    } else if !child.is_named() {
                        op.push_str(&text_of(child, self.src));
                    } else if target.is_none() {
                        target = Some(word_value(child, self.src, &mut self.out.too_deep));
                    }
                }
                if let Some(cmd) = self.out.commands.get_mut(idx) {
                    cmd.redirects.push(Redirect {
                        op,
                        fd,
                        target: target.unwrap_or_default(),
                    });
                }
                self.push_substitutions(node, ctx, stack);
            }
        }
    }

    /// Pushes every command/process substitution below `node` (not crossing into other
    /// substitutions, which carry their own commands).
    fn push_substitutions<'t>(
        &mut self,
        node: Node<'t>,
        ctx: Ctx,
        stack: &mut Vec<(Node<'t>, Ctx)>,
    ) {
        if !contains_kind(node, &["command_substitution", "process_substitution"]) {
            return;
        }
        let mut local = vec![node];
        let mut seen = 0usize;
        while let Some(n) = local.pop() {
            seen += 1;
            if seen > MAX_NODES {
                self.out.too_deep = true;
                return;
            }
            if matches!(n.kind(), "command_substitution" | "process_substitution") {
                stack.push((n, ctx));
                continue;
            }
            let mut cursor = n.walk();
            for c in n.children(&mut cursor) {
                local.push(c);
            }
        }
    }

    fn finish(mut self, program_of: ProgramOf) -> Walked {
        let n = self.out.commands.len();
        for i in 0..n {
            let (pipe, hd, sd) = self.meta.get(i).copied().unwrap_or((None, None, 0));
            let mut ups: Vec<usize> = Vec::new();
            if let Some((id, stage)) = pipe {
                if stage > 0 {
                    for (j, m) in self.meta.iter().enumerate() {
                        if m.0 == Some((id, stage - 1)) && m.2 == sd {
                            ups.push(j);
                        }
                    }
                } else if let Some(h) = hd {
                    ups.push(h);
                }
            } else if let Some(h) = hd {
                ups.push(h);
            }
            if ups.is_empty() {
                continue;
            }
            let programs: Vec<String> = ups
                .iter()
                .filter_map(|j| self.out.commands.get(*j))
                .map(program_of)
                .collect();
            let data = if ups.len() == 1 {
                ups.first()
                    .and_then(|j| self.out.commands.get(*j))
                    .and_then(piped_text)
            } else {
                None
            };
            if let Some(cmd) = self.out.commands.get_mut(i) {
                cmd.piped_stdin = true;
                cmd.upstream = programs;
                if cmd.stdin_text.is_none() {
                    cmd.stdin_text = data;
                }
            }
        }
        // Fork bombs: a function that calls itself in a pipeline or in the background.
        for (fi, name) in self.fn_names.iter().enumerate() {
            let _ = fi;
            let self_spawning = self.out.commands.iter().enumerate().any(|(i, c)| {
                c.in_function.as_deref() == Some(name.as_str())
                    && c.argv.first().map(|w| w.text.as_str()) == Some(name.as_str())
                    && (c.background || self.meta.get(i).map(|m| m.0.is_some()).unwrap_or(false))
            });
            self.out.functions.push(FunctionDef {
                name: name.clone(),
                self_spawning,
            });
        }
        self.out
    }
}

/// The literal text a command writes to a pipe, when it is plain data (`echo`, `printf`,
/// `cat` of a heredoc).
fn piped_text(cmd: &SimpleCommand) -> Option<String> {
    let prog = cmd.program();
    match prog.as_str() {
        p @ ("echo" | "printf") => {
            let args: Vec<&str> = cmd.args().iter().map(|w| w.text.as_str()).collect();
            Some(super::words::printed_text(p, &args))
        }
        "cat" if cmd.args().is_empty() => cmd.stdin_text.clone(),
        _ => None,
    }
}

fn assignment(node: Node<'_>, src: &[u8], too_deep: &mut bool) -> Option<(String, Word)> {
    let name = node.child_by_field_name("name").map(|n| text_of(n, src))?;
    let value = node
        .child_by_field_name("value")
        .map(|v| word_value(v, src, too_deep))
        .unwrap_or_default();
    Some((name, value))
}

fn push_children<'t>(node: Node<'t>, ctx: Ctx, stack: &mut Vec<(Node<'t>, Ctx)>) {
    let mut cursor = node.walk();
    let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
    for c in children.into_iter().rev() {
        stack.push((c, ctx));
    }
}
