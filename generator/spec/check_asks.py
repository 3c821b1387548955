"""Checks of how users ask for a tool (`asks`, `reasons`) and for a value (a column's `asked`):
placeholders that fill, a request that carries what the tool needs, and no tool or parameter
name in the user's words.
"""

from __future__ import annotations

import re
import string

from generator.judge import carries, normalize
from generator.spec.check_core import CheckerCore, suggest
from generator.spec.models import Tool


class AskChecks(CheckerCore):
    def descriptions(self) -> None:
        for name, table in self.spec.tables.items():
            for column, spec in table.columns.items():
                if spec.asked:
                    self.question(("tables", name, "columns", column, "asked"), spec.asked)
            if table.described_as and len(table.key_columns) > 1:
                self.error(("tables", name, "described_as"), f"{name} has a composite key "
                           f"({', '.join(table.key_columns)}): a user names its rows by those values themselves",
                           "remove described_as; the user says each key part (the flight and its date)")
                continue
            for i, text in enumerate(table.described_as):
                at = ("tables", name, "described_as", i)
                try:
                    fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
                except ValueError as exc:
                    self.error(at, f"cannot fill this description: {exc}", "write placeholders as {column}")
                    continue
                if not fields:
                    self.error(at, "a description without a placeholder names every row alike",
                               "say which columns tell this row apart, e.g. {last_four}")
                for field in fields:
                    column, _, far = field.partition(".")
                    if column not in table.columns:
                        self.error(at, f"placeholder {{{field}}}: {column!r} is not a column of {name}",
                                   suggest(column, set(table.columns), "columns"))
                    elif far:
                        ref = table.columns[column].references
                        target = self.spec.tables.get(ref.split(".")[0]) if ref else None
                        if target is None:
                            self.error(at, f"placeholder {{{field}}}: {column!r} is not a foreign key",
                                       "use {column} for this table's own columns")
                        elif far not in target.columns:
                            self.error(at, f"placeholder {{{field}}}: {far!r} is not a column of {ref.split('.')[0]}",
                                       suggest(far, set(target.columns), "columns"))

    def question(self, at: tuple, text: str) -> None:
        """A column's `asked`: a question naming the row once, by {row}."""
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            self.error(at, f"cannot fill this question: {exc}", "write the row as {row}")
            return
        if fields != ["row"]:
            self.error(at, f"a question names its row once, as {{row}} (found {', '.join(fields) or 'none'})",
                       "e.g. 'When is {row} due?'")

    def asks(self) -> None:
        for name, tool in self.spec.tools.items():
            for i, text in enumerate(tool.asks):
                self.ask(("tools", name, "asks", i), name, tool, text)
            for i, story in enumerate(tool.stories):
                self.story(("tools", name, "stories", i), name, tool, story)
            if tool.stories and not any("{story}" in text for text in tool.asks):
                self.warn(("tools", name, "stories"), "stories are never told: no `asks` item has {story}",
                          "add {story} where the user says what happened")
            if tool.reasons and "reason" in tool.params:
                self.error(("tools", name, "reasons"), "reasons would replace the tool's own `reason` param",
                           "drop reasons: {reason} already says the value the call passes")
            elif tool.reasons and not any("{reason}" in text for text in tool.asks):
                self.warn(("tools", name, "reasons"), "reasons are never used: no `asks` item has {reason}",
                          "add {reason} to the phrasings that should say why")

    def ask(self, at: tuple, name: str, tool: Tool, text: str) -> None:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            self.error(at, f"cannot fill this phrasing: {exc}", "write placeholders as {param}; double {{ }} for braces")
            return
        names = set(tool.params) | {"reason", "story"}
        for field in sorted(fields):
            if field not in names:
                self.error(at, f"placeholder {{{field}}} is not a param of {name}", suggest(field, names, "params"))
        if "reason" in fields and not tool.reasons and "reason" not in tool.params:
            self.error(at, "placeholder {reason} needs a list of reasons", "add reasons: [...] to the tool")
        if "story" in fields and not tool.stories:
            self.error(at, "placeholder {story} needs a list of stories", "add stories: [{tell, args, facts}] to the tool")
        if "story" in fields:  # the story's args are what the user tells
            fields |= {p for story in tool.stories for p in story.args}
        fields |= self.said_by_descriptions(tool, fields)
        actor = self.spec.actor
        # the user gives their own id when they introduce themselves; every other required value
        # must be in the request, or the agent could not do what is asked
        needed = {p for p, param in tool.params.items() if param.required and not (
            actor and param.ref and param.ref.split(".")[0] == actor)}
        for missing in sorted(needed - fields):
            self.warn(at, f"this phrasing never says {missing!r}, which {name} requires",
                      f"add {{{missing}}} so the user gives it")
        bare = re.sub(r"\{\w*\}", "", text)
        if re.search(rf"\b{re.escape(name)}\b|\b{re.escape(name.replace('_', ' '))}\b", bare, re.IGNORECASE):
            self.error(at, f"the user's words name the tool {name!r}", "say what the user wants, not the tool")

    def said_by_descriptions(self, tool: Tool, fields: set[str]) -> set[str]:
        """Params a described row already says: "the opening with Dr. Lee on May 5" names the doctor."""
        said = set()
        for field in fields:
            ref = tool.params[field].ref if field in tool.params else None
            table = self.spec.tables.get(ref.split(".")[0]) if ref else None
            for text in table.described_as if table else ():
                for column in re.findall(r"\{(\w+)\.\w+\}", text):
                    far = table.columns.get(column)
                    target = far.references.split(".")[0] if far and far.references else None
                    said |= {p for p, param in tool.params.items() if param.ref and param.ref.split(".")[0] == target}
        return said

    def story(self, at: tuple, name: str, tool: Tool, story) -> None:
        for param in story.args:
            if param not in tool.params:
                self.error((*at, "args", param), f"{param!r} is not a param of {name}",
                           suggest(param, set(tool.params), "params"))
            elif tool.params[param].ref:
                self.error((*at, "args", param), f"{param!r} names a row; a story cannot fix which one",
                           "leave ids out of stories: the expander picks the rows")
        for param, facts in story.facts.items():
            where = (*at, "facts", param)
            if param not in story.args:
                self.error(where, f"facts for {param!r}, which this story's args do not set",
                           f"add {param}: <a sample text carrying the facts> to args")
                continue
            if not facts or any(not group or not all(normalize(a) for a in group) for group in facts):
                self.error(where, "every fact needs at least one non-empty phrase", "write each fact as [phrase, ...]")
                continue
            ok, why = carries(str(story.args[param]), [[normalize(a) for a in group] for group in facts])
            if not ok:
                self.error(where, f"the story's own {param} does not carry its facts ({why})",
                           "reword the sample text or add the phrase it uses to the fact's alternatives")
