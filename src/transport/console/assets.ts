/**
 * The console's only style sheet and script, served from the package (no CDN, works offline).
 * The script is a progressive enhancement: every page reads and acts without it.
 */
export const CONSOLE_CSS = `
:root{--fg:#1a1d21;--muted:#4a5360;--bg:#f6f7f9;--card:#fff;--line:#d5dae1;--accent:#0b57d0;--accent-fg:#fff;--danger:#b3261e;--warn-bg:#fff4ce;--warn-fg:#5c4400;--ok-bg:#e6f4ea;--ok-fg:#0d5223;--err-bg:#fce8e6;--err-fg:#8c1d18;
--s1:#0b57d0;--s2:#137333;--s3:#b06000;--s4:#8430ce;--s5:#c5221f;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.45}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem}
.skip:focus{left:.5rem;z-index:10}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.6rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
.brand{font-weight:700}
header nav ul{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:0;padding:0}
header nav a{display:block;padding:.35rem .6rem;border-radius:6px;text-decoration:none}
header nav a[aria-current=page]{background:var(--accent);color:var(--accent-fg)}
.ws-picker,.logout{display:flex;gap:.4rem;align-items:center;margin:0}
.logout{margin-left:auto}
main{max-width:64rem;margin:0 auto;padding:1rem}
body.bare main{max-width:28rem;padding-top:10vh}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin:0 0 1rem}
.card header{display:flex;gap:.75rem;align-items:flex-start}
.subject{font-size:1.05rem;font-weight:600;margin:.2rem 0}
.meta,.hint,.count{color:var(--muted);font-size:.9rem;margin:.2rem 0}
pre.body,blockquote.untrusted{white-space:pre-wrap;word-break:break-word;font-family:inherit;background:var(--bg);border-left:3px solid var(--line);padding:.6rem .8rem;margin:.6rem 0}
.warnings{background:var(--warn-bg);color:var(--warn-fg);border-radius:6px;padding:.5rem .5rem .5rem 1.6rem;margin:.5rem 0}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.actions form,form.inline,.filters{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:0}
.filters{margin:0 0 1rem}
.stack{display:flex;flex-direction:column;gap:.4rem}
.stack label{font-weight:600}
input,select,textarea,button,.button{font:inherit;font-size:1rem;padding:.4rem .6rem;border:1px solid #8a94a3;border-radius:6px;background:var(--card);color:var(--fg);min-height:2.5rem}
textarea{width:100%}
.mono,textarea.mono,code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem}
button,.button{cursor:pointer;text-decoration:none;display:inline-flex;align-items:center}
button.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-fg)}
button.danger{color:var(--danger);border-color:var(--danger)}
.flash{padding:.6rem .8rem;border-radius:6px}
.flash-ok{background:var(--ok-bg);color:var(--ok-fg)}
.flash-error{background:var(--err-bg);color:var(--err-fg)}
.empty{border:2px dashed var(--line);border-radius:8px;padding:1rem;color:var(--muted)}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:999px;background:#e3e7ed;font-size:.85rem}
.badge.hot{background:var(--err-bg);color:var(--err-fg);font-weight:700}
.badge.prio{text-transform:uppercase;font-weight:700}
.priority-urgent .prio,.priority-high .prio{background:var(--err-bg);color:var(--err-fg)}
ul.plain{list-style:none;padding:0;margin:0}
.row{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem;padding:.5rem 0;border-bottom:1px solid var(--line)}
.thread{list-style:none;padding:0}
.msg.outbound{border-left:4px solid var(--accent)}
.msg.inbound{border-left:4px solid var(--s2)}
.timeline{padding-left:1.2rem}
.timeline li{margin:.3rem 0}
.event{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:600}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:var(--card)}
caption{text-align:left;color:var(--muted);padding:.3rem 0}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(9rem,1fr));gap:.6rem;margin:0 0 1rem}
.figure{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem}
.figure dt{color:var(--muted);font-size:.85rem}
.figure dd{margin:0;font-size:1.6rem;font-weight:700}
.chart{max-width:52rem;margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5rem}
.chart svg{width:100%;height:auto}
.chart .grid{stroke:var(--line)}
.chart .axis{fill:var(--muted);font-size:11px}
.chart .line{fill:none;stroke-width:2.5}
.line.s1{stroke:var(--s1)}.line.s2{stroke:var(--s2)}.line.s3{stroke:var(--s3)}.line.s4{stroke:var(--s4)}.line.s5{stroke:var(--s5)}
.legend{display:flex;flex-wrap:wrap;gap:.8rem;list-style:none;padding:0;margin:.4rem 0 0}
.swatch{display:inline-block;width:.9rem;height:.9rem;border-radius:2px;margin-right:.3rem;vertical-align:-2px}
.swatch.s1{background:var(--s1)}.swatch.s2{background:var(--s2)}.swatch.s3{background:var(--s3)}.swatch.s4{background:var(--s4)}.swatch.s5{background:var(--s5)}
.scopes{display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:.2rem .8rem}
fieldset{border:1px solid var(--line);border-radius:6px}
label.check{display:inline-flex;gap:.3rem;align-items:center;font-weight:400}
label.check input,.pick input{min-height:auto}
.pick input{width:1.4rem;height:1.4rem}
.login{display:flex;flex-direction:column;gap:.5rem}
.secret input{width:100%}
@media (max-width:40rem){main{padding:.6rem}.logout{margin-left:0}.card header{flex-direction:column}.filters input,.filters select{flex:1 1 100%}}
`;

export const CONSOLE_JS = `
(function(){
  document.querySelectorAll('form[data-autosubmit] select').forEach(function(s){
    s.addEventListener('change',function(){s.form.submit();});
  });
  document.querySelectorAll('[data-select-all]').forEach(function(b){
    var name=b.getAttribute('data-select-all');
    b.hidden=false;
    b.addEventListener('click',function(){
      var boxes=document.querySelectorAll('input[type=checkbox][name="'+name+'"]');
      var all=Array.prototype.every.call(boxes,function(x){return x.checked;});
      boxes.forEach(function(x){x.checked=!all;});
    });
  });
  document.querySelectorAll('[data-select-on-focus]').forEach(function(i){
    i.addEventListener('focus',function(){i.select();});
  });
})();
`;
