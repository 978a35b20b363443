import random
import time
from functools import wraps


def retry(times=3, delay=0.5, exceptions=(Exception,)):
    """Call the function again when it raises, waiting longer each time."""

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            attempt = 0
            while True:
                try:
                    return func(*args, **kwargs)
                except exceptions:
                    attempt += 1
                    if attempt >= times:
                        raise
                    pause = delay * 2 ** attempt
                    time.sleep(pause + random.uniform(0, delay))

        return wrapper

    return decorator
