"""Evaluate the ValidatingAdmissionPolicies of security/ against the pods of a case file.

For every case the script applies each policy whose binding selects the case's namespace.
It evaluates the policy's variables and validations with cel-python, a CEL implementation
that uses RE2 regular expressions like the API server. Then it compares the policies that
deny the pod with the expected ones.

Usage: python admission_policies.py POLICIES.yaml CASES.yaml
Exit status: 0 when every case matches, 1 otherwise.
"""

import sys

import celpy
import yaml


def selector_matches(selector, labels):
    """Return whether a label selector (matchLabels, matchExpressions) selects labels."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for requirement in selector.get("matchExpressions") or []:
        key, operator = requirement["key"], requirement["operator"]
        values = requirement.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def compile_expression(environment, source, where):
    try:
        return environment.program(environment.compile(source))
    except celpy.CELParseError as error:
        sys.exit(f"error: {where}: invalid CEL expression: {error}")


def denials(environment, policies, bindings, namespace, pod):
    """Return a map from each policy that denies pod in namespace to its message."""
    namespace_object = {"metadata": namespace}
    labels = dict(namespace.get("labels") or {})
    labels["kubernetes.io/metadata.name"] = namespace["name"]
    denied = {}
    for binding in bindings:
        selector = (binding["spec"].get("matchResources") or {}).get("namespaceSelector")
        if not selector_matches(selector, labels):
            continue
        name = binding["spec"]["policyName"]
        policy = policies[name]["spec"]
        activation = {
            "object": celpy.json_to_cel(pod),
            "namespaceObject": celpy.json_to_cel(namespace_object),
        }
        variables = {}
        for variable in policy.get("variables") or []:
            where = f"{name}.{variable['name']}"
            program = compile_expression(environment, variable["expression"], where)
            activation["variables"] = celpy.json_to_cel(variables)
            variables[variable["name"]] = program.evaluate(activation)
        activation["variables"] = celpy.celtypes.MapType(
            {celpy.celtypes.StringType(key): value for key, value in variables.items()}
        )
        for validation in policy["validations"]:
            program = compile_expression(environment, validation["expression"], name)
            result = program.evaluate(activation)
            # An evaluation error (a CELEvalError, not a bool) denies too, since both
            # policies set failurePolicy: Fail.
            if not isinstance(result, celpy.celtypes.BoolType):
                denied[name] = f"evaluation failed: {result!r}"
            elif not result:
                message = validation.get("message", "")
                if "messageExpression" in validation:
                    message_source = validation["messageExpression"]
                    message_program = compile_expression(environment, message_source, name)
                    message = str(message_program.evaluate(activation))
                denied[name] = message
    return denied


def main():
    policies_path, cases_path = sys.argv[1], sys.argv[2]
    documents = [doc for doc in yaml.safe_load_all(open(policies_path)) if doc]
    policies = {
        doc["metadata"]["name"]: doc
        for doc in documents
        if doc["kind"] == "ValidatingAdmissionPolicy"
    }
    bindings = [doc for doc in documents if doc["kind"] == "ValidatingAdmissionPolicyBinding"]
    cases = yaml.safe_load(open(cases_path))["cases"]
    environment = celpy.Environment()

    failures = 0
    for case in cases:
        denied = denials(environment, policies, bindings, case["namespace"], case["pod"])
        expected = set(case.get("denied_by") or [])
        if set(denied) != expected:
            failures += 1
            print(
                f"FAIL {case['name']}: expected denial by {sorted(expected)}, "
                f"got {sorted(denied)}"
            )
            for policy, message in denied.items():
                print(f"  {policy}: {message}")
        else:
            print(f"ok   {case['name']}")
    print(f"{len(cases) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
