"""Parts of the script editor (`ui.script_editor.ScriptEditor` is the editor itself)."""
