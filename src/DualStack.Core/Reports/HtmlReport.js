(function () {
  'use strict';
  var list = Array.prototype.slice.call(document.querySelectorAll('details.conversation'));
  var buttons = Array.prototype.slice.call(document.querySelectorAll('button.filter'));
  var search = document.getElementById('search');
  var shown = document.getElementById('shown-count');
  var none = document.getElementById('no-match');
  var state = { verdict: 'all', text: '' };
  function apply() {
    var n = 0;
    for (var i = 0; i < list.length; i++) {
      var c = list[i];
      var ok = (state.verdict === 'all' || c.getAttribute('data-verdict') === state.verdict) &&
        (state.text === '' || (c.getAttribute('data-search') || '').indexOf(state.text) !== -1);
      c.hidden = !ok;
      if (ok) { n++; }
    }
    for (var j = 0; j < buttons.length; j++) {
      var on = buttons[j].getAttribute('data-filter') === state.verdict;
      buttons[j].classList.toggle('active', on);
      buttons[j].setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    shown.textContent = n + ' of ' + list.length + ' conversations shown';
    none.hidden = n !== 0;
  }
  document.addEventListener('click', function (e) {
    var target = e.target && e.target.closest ? e.target.closest('[data-filter]') : null;
    if (!target) { return; }
    state.verdict = target.getAttribute('data-filter');
    apply();
    if (target.classList.contains('tile')) { document.getElementById('conversations-section').scrollIntoView(); }
  });
  search.addEventListener('input', function () { state.text = search.value.trim().toLowerCase(); apply(); });
  document.getElementById('expand-all').addEventListener('click', function () {
    for (var i = 0; i < list.length; i++) { if (!list[i].hidden) { list[i].open = true; } }
  });
  document.getElementById('collapse-all').addEventListener('click', function () {
    for (var i = 0; i < list.length; i++) { list[i].open = false; }
  });
  apply();
})();
