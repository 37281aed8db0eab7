/**
 * The fixed program `python3 -c` runs for a Python function action. It reads one JSON request from stdin
 * (`{path, func, args}`), imports the module by its path with importlib (its folder first on sys.path, as
 * CIPolicE imported modules from its own folder), calls the function with the arguments as plain strings,
 * and writes one JSON report to fd 3: `{ok, value}` or `{ok: false, error, traceback}`. Message text only
 * ever arrives as data in that request; it never becomes code.
 */
export const PYTHON_BOOTSTRAP = `
import importlib.util, json, os, sys, traceback

def report(data):
    with os.fdopen(3, "w", encoding="utf-8") as channel:
        channel.write(json.dumps(data))

def failure():
    text = traceback.format_exc()
    lines = [line for line in text.splitlines() if line.strip()]
    return {"ok": False, "error": lines[-1] if lines else "error", "traceback": text[-16384:]}

def main():
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    path = request["path"]
    folder = os.path.dirname(path)
    name = os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, folder)
    sys.argv = [path]
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError("cannot load a module from " + path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        func = getattr(module, request["func"], None)
        if not callable(func):
            raise AttributeError("module " + name + " has no function " + request["func"])
        value = func(*request["args"])
        sys.stdout.flush()
        sys.stderr.flush()
        report({"ok": True, "value": repr(value)[:4096]})
    except SystemExit as exit:
        if exit.code in (None, 0):
            report({"ok": True, "value": "None"})
        else:
            report(failure())
    except BaseException:
        report(failure())

main()
`;
