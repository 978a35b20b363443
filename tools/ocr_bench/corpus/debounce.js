export function debounce(fn, wait = 200) {
  let timer = null;

  return function (...args) {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn.apply(this, args);
    }, wait);
  };
}

export function throttle(fn, limit = 100) {
  let waiting = false;

  return function (...args) {
    if (waiting) {
      return;
    }
    fn.apply(this, args);
    waiting = true;
    setTimeout(() => {
      waiting = false;
    }, limit);
  };
}
