import re

TOKEN = re.compile(r"\s*(?:(\d+\.?\d*)|(.))")


def tokenize(text):
    tokens = []
    for number, operator in TOKEN.findall(text):
        if number:
            tokens.append(("num", float(number)))
        elif operator in "+-*/()":
            tokens.append(("op", operator))
        elif operator.strip():
            raise SyntaxError(f"unexpected character {operator!r}")
    return tokens


def evaluate(text):
    stack = []
    for kind, value in tokenize(text):
        if kind == "num":
            stack.append(value)
        else:
            right, left = stack.pop(), stack.pop()
            stack.append(eval(f"{left} {value} {right}"))
    return stack[0]
